import { levelName, type LogRecord } from "../monitoring/logs.js";
import { dateAndTime, timeOfDay } from "./format.js";

/** Fields every record has, or that the line shows in its own place. */
const shownApart = new Set(["level", "time", "pid", "hostname", "msg", "module", "stream", "err"]);

/** pino's level number of `warn`: the runtime's records of failures are written at this level. */
const WARN = 40;
const ERROR = 50;

/**
 * One record for people, without the newline:
 * `12:00:00.123 warn  codec@1.3.0: slow probe ms=512`, `12:00:00.124 info  gpu-accel@2.0.1 stdout: ready`,
 * `12:00:00.125 error chipset: an event listener threw event=module.started; TypeError: boom`,
 * then, at `error` and above, the error's stack (indented). With `withDate`, the time is preceded
 * by the date (`2026-12-07 12:00:00.123`), as `chipset logs` shows it.
 */
export function formatLogRecord(record: LogRecord, withDate = false): string {
  const level = levelName(record.level).padEnd(5);
  const source =
    record.module === undefined ? "chipset" : `${record.module}${record.stream ? ` ${record.stream}` : ""}`;
  const fields = Object.entries(record)
    .filter(([name, value]) => !shownApart.has(name) && value !== undefined)
    .map(([name, value]) => `${name}=${fieldText(value)}`);
  const msg = record.msg ?? "";
  // The runtime's own messages name the module first; the line already does.
  const said =
    record.module !== undefined && msg.startsWith(`${record.module}: `)
      ? msg.slice(record.module.length + 2)
      : msg;
  const when = new Date(record.time);
  let text = `${withDate ? dateAndTime(when) : timeOfDay(when)} ${level} ${source}: ${said}`;
  if (fields.length > 0) text += ` ${fields.join(" ")}`;
  const err = record.err;
  if (err !== undefined) {
    text += `; ${err.type ?? "Error"}: ${err.message ?? ""}`;
    if (record.level >= ERROR && err.stack) {
      const frames = err.stack.split("\n").filter((line) => line.trimStart().startsWith("at "));
      text += frames.map((frame) => `\n    ${frame.trim()}`).join("");
    }
  }
  return text;
}

/**
 * True for the record the runtime writes when a module's lifecycle command fails (level warn,
 * with the module, the command and the error's code: `Runtime`'s `onFailure`). The
 * `module.failed` event carries the same failure, and the CLI reports it from there.
 */
export function isLifecycleFailure(record: LogRecord): boolean {
  return (
    record.level === WARN &&
    typeof record.module === "string" &&
    typeof record.command === "string" &&
    typeof record.code === "string" &&
    record.code.startsWith("CHIP_ERR_")
  );
}

/** A field's value on a line: bare when it reads unambiguously, else as JSON. */
function fieldText(value: unknown): string {
  if (typeof value === "string" && /^[\w.@/:+-]+$/.test(value)) return value;
  return JSON.stringify(value) ?? String(value);
}
