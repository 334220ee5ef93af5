import { basename, dirname } from "node:path";
import type { FastifyInstance } from "fastify";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import {
  allOf,
  lastEntries,
  levelFilter,
  levelName,
  levelNumber,
  LOG_LEVEL_NAMES,
  moduleFilter,
  type LogLevelName,
  type LogRecord,
} from "../monitoring/logs.js";
import { parseModuleRef } from "../vocabulary/moduleRef.js";
import { errorResponses } from "./schemas.js";

/** How many records `GET /v1/logs` answers when `lines` is not given. */
export const DEFAULT_LOG_LINES = 200;

/** The most records `GET /v1/logs` answers at once. */
export const MAX_LOG_LINES = 5_000;

/** Where the host writes its log records (`chipset start`: `<data-dir>/logs/modules.log`). */
export interface LogsOptions {
  /** The current log file; its rotated copies (`<file>.1`, ...) beside it are read too. */
  file: string;
}

/** One record as `GET /v1/logs` answers it. */
export interface LogLine {
  /** Epoch ms. */
  time: number;
  /** `trace`, `debug`, `info`, `warn`, `error` or `fatal` (`level<n>` for a custom level). */
  level: string;
  /** The id of the module that logged it (or whose console it is); null for Chipset's own records. */
  module: string | null;
  /** That module's version; null for Chipset's own records. */
  version: string | null;
  msg: string;
  /** Every other field of the record (`err`, `stream`, what the module logged with it...). */
  fields: Record<string, unknown>;
}

/** The fields a {@link LogLine} has in its own place, or that say nothing (every record of a host has the same). */
const apart = new Set(["level", "time", "msg", "module", "pid", "hostname"]);

/** `record` as the API shows it. */
export function logLineOf(record: LogRecord): LogLine {
  const ref = typeof record.module === "string" ? parseModuleRef(record.module) : undefined;
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(record)) if (!apart.has(name)) fields[name] = value;
  return {
    time: record.time,
    level: levelName(record.level),
    module: ref?.id ?? null,
    version: ref?.version ?? null,
    msg: typeof record.msg === "string" ? record.msg : "",
    fields,
  };
}

const logsQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    module: {
      type: "string",
      minLength: 1,
      description: "only this module: `id` (every version) or `id@version`",
    },
    lines: {
      type: "integer",
      minimum: 1,
      maximum: MAX_LOG_LINES,
      default: DEFAULT_LOG_LINES,
      description: "the last this many records that pass the filters",
    },
    level: { type: "string", enum: LOG_LEVEL_NAMES, description: "only records at this level and above" },
  },
} as const;

const logsResponse = {
  type: "object",
  properties: {
    entries: {
      type: "array",
      description: "oldest first (newest last)",
      items: {
        type: "object",
        properties: {
          time: { type: "number", description: "ms since the epoch" },
          level: { type: "string" },
          module: { type: ["string", "null"], description: "module id; null for Chipset's own records" },
          version: { type: ["string", "null"] },
          msg: { type: "string" },
          fields: { type: "object", additionalProperties: true, description: "the record's other fields" },
        },
      },
    },
    file: { type: "string", description: "the current log file (its rotated copies are read too)" },
  },
} as const;

/**
 * `GET /v1/logs`: the last records of the host's log files (what `chipset logs` shows), of one
 * module or all, at a level and above; `CHIP_ERR_LOGS_NOT_KEPT` (404) when the host writes none.
 */
export function registerLogRoutes(app: FastifyInstance, logs: LogsOptions | undefined): void {
  app.get<{ Querystring: { module?: string; lines: number; level?: LogLevelName } }>(
    "/v1/logs",
    {
      schema: {
        tags: ["logs"],
        summary:
          "The last records of the host's log files (modules' ctx.log and console, Chipset's own), newest last; of one module, at a level and above",
        querystring: logsQuery,
        response: { 200: logsResponse, ...errorResponses },
      },
    },
    async (request) => {
      if (logs === undefined)
        throw new ChipsetError(
          ErrorCodes.LOGS_NOT_KEPT,
          "this host writes no log file: its records go only where the application sends them (`chipset start` keeps them in <data-dir>/logs)",
        );
      const { module, lines, level } = request.query;
      const filter = allOf(moduleFilter(module), levelFilter(level === undefined ? 0 : levelNumber(level)));
      const { entries } = await lastEntries(dirname(logs.file), filter, lines, basename(logs.file));
      return { entries: entries.map((e) => logLineOf(e.record)), file: logs.file };
    },
  );
}
