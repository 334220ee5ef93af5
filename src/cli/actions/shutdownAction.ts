import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "commander";
import { ChipsetError, ErrorCodes, type ErrorCode } from "../../errors/index.js";
import { isOtherLiveProcess } from "../../registry/StoreLayout.js";
import { readHostFile, removeHostFile, type HostFile } from "../../server/hostFile.js";
import type { CliContext } from "../context.js";
import { DEFAULT_SHUTDOWN_WAIT_MS } from "../commands/defaults.js";
import { ms } from "../format.js";
import { httpText } from "../httpText.js";
import { usageError } from "../usage.js";
import { globalsOf } from "../commands/globals.js";

/** How often it looks whether the host has exited, in ms. */
const POLL_MS = 50;

/**
 * Sends `POST /v1/shutdown`; false when the API does not answer, or answers that it is closing
 * (it closes first when the host stops, so a second `shutdown` lands here). A refusal (a token that is not the host's) throws
 * the error the API answered.
 */
async function requestShutdown(host: HostFile): Promise<boolean> {
  let status: number;
  let text: string;
  try {
    ({ status, text } = await httpText(`${host.url}/v1/shutdown`, {
      method: "POST",
      headers: { authorization: `Bearer ${host.token}`, "content-type": "application/json" },
      body: "{}",
      signal: AbortSignal.timeout(10_000),
    }));
  } catch {
    return false;
  }
  if (status === 202) return true;
  let body: { code?: unknown; message?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // not the API's error JSON
  }
  // A host already closing its API (another shutdown, SIGTERM) answers new requests 503 without
  // one of our codes (Fastify's reply while it closes): it is stopping, as asked.
  if (status === 503 && typeof body.code !== "string") return false;
  const code = Object.values(ErrorCodes).includes(body.code as ErrorCode)
    ? (body.code as ErrorCode)
    : ErrorCodes.INTERNAL;
  throw new ChipsetError(
    code,
    `the host at ${host.url} refused to shut down (${status}): ${typeof body.message === "string" ? body.message : text}`,
    { details: { status: status, url: host.url, pid: host.pid } },
  );
}

/** Resolves once process `host.pid` has exited; `CHIP_ERR_SHUTDOWN_TIMEOUT` after `timeoutMs`. */
async function waitForExit(host: HostFile, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (isRunning(host.pid)) {
    if (performance.now() >= deadline)
      throw new ChipsetError(
        ErrorCodes.SHUTDOWN_TIMEOUT,
        `the host (pid ${host.pid}) is still running ${ms(timeoutMs)} after it was asked to stop; it may be waiting for a slow module (see \`chipset logs\`): wait and run \`chipset shutdown\` again, or \`kill ${host.pid}\``,
        { details: { pid: host.pid, url: host.url, timeoutMs } },
      );
    await sleep(POLL_MS);
  }
}

/** Whether `pid` is a live process, not a zombie waiting to be reaped (an exited host whose parent has not waited for it). */
function isRunning(pid: number): boolean {
  if (!isOtherLiveProcess(pid)) return false;
  try {
    // `/proc/<pid>/stat`: `pid (name) state ...`; the name may hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no /proc (macOS): kill(0) is the best there is
  }
}

/** `chipset shutdown`: what it does once commander has parsed its arguments (see commands/). */
export async function shutdown(
  ctx: CliContext,
  opts: { timeout?: string; json?: boolean },
  cmd: Command,
): Promise<void> {
  const timeoutMs = opts.timeout === undefined ? DEFAULT_SHUTDOWN_WAIT_MS : Number(opts.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1)
    throw usageError(`--timeout must be a positive integer number of ms, got ${opts.timeout}`, {
      timeout: opts.timeout,
    });
  const { dataDir } = globalsOf(cmd, ctx);
  const host = readHostFile(dataDir);
  if (host === undefined || !isRunning(host.pid)) {
    if (opts.json) return ctx.out.json({ running: false });
    return ctx.out.line(`no host is running on ${dataDir}`);
  }
  const began = performance.now();
  const asked = await requestShutdown(host);
  if (!asked && !opts.json) ctx.out.note(`the host's API does not answer: it is stopping already`);
  await waitForExit(host, timeoutMs);
  // A host that died without a clean exit leaves its file behind; it names a dead process now.
  removeHostFile(dataDir, host.pid);
  const durationMs = performance.now() - began;
  if (opts.json) return ctx.out.json({ running: true, pid: host.pid, url: host.url, durationMs });
  ctx.out.line(`stopped the host (pid ${host.pid}, ${host.url}) in ${ms(durationMs)}`);
}
