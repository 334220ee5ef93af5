import type { HostClusterOptions } from "../commands/startOptions.js";
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { ChipsetError, ErrorCodes } from "../../errors/index.js";
import { assertNoLiveHost, readHostFile, type HostFile } from "../../server/hostFile.js";
import type { CliContext, GlobalOptions } from "../context.js";
import { ms } from "../format.js";
import { httpText } from "../httpText.js";
import { HOST_LOG, logsDir, rotatedName } from "../../monitoring/logs.js";

/** How often `start --detach` looks whether the host is ready, in ms. */
const POLL_MS = 100;

/** How many of the host's last output lines an error about it quotes. */
const QUOTED_LINES = 5;

/** What `start --detach` passes on to the host it starts. */
export interface DetachOptions {
  /** `--http` as given. */
  http: string;
  /** `--token-file`, absolute. */
  tokenFile: string | undefined;
  /** How long to wait for the host to be ready, in ms. */
  readyTimeoutMs: number;
  /** The host's `--log-level` on its stderr (host.log). */
  logLevel: string;
  /** `--cluster`, `--node` and `--cluster-name`, passed on. */
  cluster?: HostClusterOptions;
}

/**
 * `chipset start --detach`: runs `chipset start` in the background (its own process group, no
 * terminal; stdout and stderr to `<data-dir>/logs/host.log`, the previous run's kept as
 * `host.log.1`), waits until it is ready (`host.json` names it and `/startupz` answers 200),
 * then prints its pid and URL and returns, leaving it running. Throws `CHIP_ERR_HOST_RUNNING`
 * when a host already serves the data directory, `CHIP_ERR_DETACH_FAILED` (quoting its last
 * output) when it exits first or is not ready within `readyTimeoutMs` (it is left running then).
 */
export async function startDetached(
  globals: GlobalOptions,
  ctx: CliContext,
  options: DetachOptions,
): Promise<void> {
  assertNoLiveHost(globals.dataDir);
  const dir = logsDir(globals.dataDir);
  mkdirSync(dir, { recursive: true });
  const log = join(dir, HOST_LOG);
  try {
    renameSync(log, rotatedName(log, 1));
  } catch {
    // no previous run's output
  }
  const fd = openSync(log, "a", 0o600);
  let child: ChildProcess;
  try {
    child = spawn(
      process.execPath,
      [fileURLToPath(new URL("../main.js", import.meta.url)), ...hostArgs(globals, options)],
      {
        cwd: ctx.cwd,
        detached: true,
        stdio: ["ignore", fd, fd],
      },
    );
  } finally {
    closeSync(fd);
  }
  const began = performance.now();
  try {
    const host = await whenReady(child, globals.dataDir, log, options.readyTimeoutMs);
    ctx.out.line(
      `chipset is running in the background (pid ${host.pid}), HTTP API at ${host.url}; ready in ${ms(performance.now() - began)}`,
    );
    ctx.out.line(`its output: ${log}; module logs: chipset logs; stop it: chipset shutdown`);
  } finally {
    child.unref();
  }
}

/** The command line of the background host: the global options, then `start` without `--detach`. */
function hostArgs(globals: GlobalOptions, options: DetachOptions): string[] {
  return [
    "--data-dir",
    globals.dataDir,
    ...(globals.configFile === undefined ? [] : ["--config", globals.configFile]),
    "--log-level",
    options.logLevel,
    "--log-format",
    globals.logFormat,
    "start",
    "--http",
    options.http,
    ...(options.tokenFile === undefined ? [] : ["--token-file", options.tokenFile]),
    ...(options.cluster === undefined ? [] : ["--cluster", options.cluster.url]),
    ...(options.cluster?.node === undefined ? [] : ["--node", options.cluster.node]),
    ...(options.cluster?.name === undefined ? [] : ["--cluster-name", options.cluster.name]),
  ];
}

/** Resolves with the host's file once it is ready; see {@link startDetached} for the failures. */
async function whenReady(
  child: ChildProcess,
  dataDir: string,
  log: string,
  timeoutMs: number,
): Promise<HostFile> {
  let exit: string | undefined;
  child.once("exit", (code, signal) => (exit = signal === null ? `status ${String(code)}` : signal));
  child.once("error", (err) => (exit = err.message));
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (exit !== undefined)
      throw failed(`the host exited (${exit}) before it was ready`, log, { exit, pid: child.pid ?? null });
    const host = readHostFile(dataDir);
    if (host !== undefined && host.pid === child.pid && (await startedUp(host.url))) return host;
    if (performance.now() >= deadline)
      throw failed(
        `the host (pid ${String(child.pid)}) was not ready within ${ms(timeoutMs)}; it may still be starting (\`chipset shutdown\` stops it)`,
        log,
        { pid: child.pid ?? null, timeoutMs },
      );
    await sleep(POLL_MS);
  }
}

/** Whether `/startupz` answers 200: the start-up (eager modules) has finished. */
async function startedUp(url: string): Promise<boolean> {
  try {
    const { status } = await httpText(`${url}/startupz`, {
      method: "GET",
      headers: {},
      signal: AbortSignal.timeout(2_000),
    });
    return status >= 200 && status < 300;
  } catch {
    return false;
  }
}

function failed(what: string, log: string, details: Record<string, unknown>): ChipsetError {
  const last = lastLines(log);
  const quoted = last.length === 0 ? "" : `\nits last output:\n  ${last.join("\n  ")}`;
  return new ChipsetError(ErrorCodes.DETACH_FAILED, `${what}; see ${log}${quoted}`, {
    details: { ...details, log },
  });
}

/** The last lines of the host's output, the error it failed with (`CHIP_ERR_...`) among them. */
function lastLines(log: string): string[] {
  let text: string;
  try {
    text = readFileSync(log, "utf8");
  } catch {
    return [];
  }
  return text.trimEnd().split("\n").filter(Boolean).slice(-QUOTED_LINES);
}
