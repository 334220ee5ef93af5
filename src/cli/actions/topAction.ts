import { setTimeout as sleep } from "node:timers/promises";
import { performance } from "node:perf_hooks";
import { type Command } from "commander";
import type { CliContext } from "../context.js";
import { MIN_TOP_INTERVAL_MS } from "../commands/defaults.js";
import { DEFAULT_TOP_INTERVAL_MS } from "../commands/defaults.js";
import { topLines, topSnapshot, type TopReading, type TopSnapshot, type TopSort } from "../describeTop.js";
import type { HostClient } from "../HostClient.js";
import { QUERY_TIMEOUT_MS, requireHost } from "../hostTarget.js";
import { TopScreen } from "../TopScreen.js";
import { usageError } from "../usage.js";
import { globalsOf } from "../commands/globals.js";

export interface TopOptions {
  interval?: string;
  sort: TopSort;
  once?: boolean;
  json?: boolean;
}

/** How {@link watch} reads and shows. */
interface WatchPlan {
  intervalMs: number;
  /** Stop after the second reading. */
  once: boolean;
  sort: TopSort;
  /** Show the first reading at once, without calls per second. */
  showFirst: boolean;
}

/**
 * Reads the host every `intervalMs` and hands each snapshot to `show` until `signal` aborts (a
 * clean end) or, with `once`, after the second reading. The first reading is shown at once only
 * when `showFirst` (a terminal, where an empty screen for a second would look broken); elsewhere
 * every snapshot shown has its calls per second.
 */
async function watch(
  host: HostClient,
  plan: WatchPlan,
  signal: AbortSignal,
  show: (snapshot: TopSnapshot, first: boolean) => void,
): Promise<void> {
  const { intervalMs, once, sort, showFirst } = plan;
  let shown = 0;
  try {
    let previous = await read(host, signal);
    if (showFirst) show(topSnapshot(previous, undefined, sort), shown++ === 0);
    for (;;) {
      await sleep(intervalMs, undefined, { signal });
      const current = await read(host, signal);
      show(topSnapshot(current, previous, sort), shown++ === 0);
      if (once) return;
      previous = current;
    }
  } catch (err) {
    if (signal.aborted) return; // Ctrl-C: not an error
    throw err;
  }
}

async function read(host: HostClient, stop: AbortSignal): Promise<TopReading> {
  const signal = AbortSignal.any([stop, AbortSignal.timeout(QUERY_TIMEOUT_MS)]);
  const [modules, system] = await Promise.all([host.modules({}, signal), host.system(signal)]);
  return { at: performance.now(), modules, system };
}

/** `--interval` in ms; a usage error naming the value unless it is a whole number of at least the minimum. */
function intervalOf(text: string | undefined): number {
  if (text === undefined) return DEFAULT_TOP_INTERVAL_MS;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < MIN_TOP_INTERVAL_MS)
    throw usageError(
      `--interval takes a whole number of milliseconds, at least ${MIN_TOP_INTERVAL_MS} (e.g. --interval 2000), not ${JSON.stringify(text)}`,
      { interval: text },
    );
  return value;
}

/** `chipset top`: what it does once commander has parsed its arguments (see commands/). */
export async function top(ctx: CliContext, opts: TopOptions, cmd: Command): Promise<void> {
  const intervalMs = intervalOf(opts.interval);
  const host = requireHost(globalsOf(cmd, ctx), "top");
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const terminal = opts.json || opts.once ? undefined : ctx.out.terminal();
  const screen = terminal === undefined ? undefined : new TopScreen((text) => ctx.out.raw(text), terminal);
  try {
    const plan = {
      intervalMs,
      once: opts.once === true,
      sort: opts.sort,
      showFirst: screen !== undefined,
    };
    await watch(host, plan, stop.signal, (snapshot, first) => {
      if (opts.json) return opts.once ? ctx.out.json(snapshot) : ctx.out.raw(`${JSON.stringify(snapshot)}\n`);
      const lines = topLines(snapshot, opts.sort, intervalMs);
      if (screen !== undefined) return screen.draw(lines);
      if (!first) ctx.out.line();
      ctx.out.lines(lines);
    });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    screen?.close();
  }
}
