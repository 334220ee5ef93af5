import { join } from "node:path";
import { afterEach, beforeEach, expect } from "vitest";
import {
  createRuntime,
  defineModule,
  ManualClock,
  type ChipsetManifest,
  type ModuleDefinition,
  type Runtime,
  type RuntimeEvents,
  type RuntimeOptions,
} from "../../src/index.js";
import { isGone } from "../hosts/harness.js";
import { flush } from "../supervision/helpers.js";
import { workspace, type Workspace } from "../support/fixtures.js";
import { internals } from "../support/internals.js";

export { flush, next } from "../supervision/helpers.js";

/** Per-test state of a chaos scenario: a workspace and every runtime the test opened. */
export interface ChaosHarness {
  readonly ws: Workspace;
  /**
   * Opens a runtime on the workspace (no warm pool, silent logs); several may be open at once
   * (two seeded runs side by side). Each is closed after the test, which then checks that no
   * worker thread or child process outlived it.
   */
  open(options?: RuntimeOptions): Runtime;
}

/** White-box: the runtime's host pool, to count the hosts still alive after close. */
interface PoolView {
  readonly live: number;
  destroy(): Promise<void>;
}

/** Registers the hooks that give every test a fresh workspace and close its runtimes afterwards. */
export function chaosHarness(): ChaosHarness {
  let ws: Workspace | undefined;
  let opened: Array<{ rt: Runtime; pids: Set<number>; clock: RuntimeOptions["clock"] }> = [];
  beforeEach(() => {
    ws = workspace();
  });
  afterEach(async () => {
    const runs = opened;
    opened = [];
    try {
      for (const { rt, clock } of runs) await closeOn(rt, clock);
      for (const { rt, pids } of runs) {
        const pool: PoolView = internals(rt).pool;
        const live = pool.live;
        await pool.destroy(); // in case something outlived close: end it, then fail the test
        expect(live, "worker threads or child processes left after close()").toBe(0);
        for (const pid of pids) expect(isGone(pid), `child process ${pid} still running`).toBe(true);
      }
    } finally {
      ws?.dispose();
    }
  });
  return {
    get ws() {
      return ws!;
    },
    open(options = {}) {
      // Each runtime has its own data dir: two seeded runs must not share persisted state.
      const rt = createRuntime({
        dataDir: join(ws!.root, `data-${opened.length + 1}`),
        moduleDirs: [ws!.modulesDir],
        logLevel: "silent",
        hosts: { pool: { worker: 0, process: 0 } },
        ...options,
      });
      const pids = new Set<number>();
      rt.on("module.started", (e) => {
        if (e.host.isolation === "process") pids.add(e.host.pid);
      });
      opened.push({ rt, pids, clock: options.clock });
      return rt;
    },
  };
}

/**
 * Closes `rt`. On a manual clock, shutdown deadlines pass only when the clock moves: a test that
 * failed half-way (a hook still sleeping on the clock) would otherwise hang its afterEach.
 */
async function closeOn(rt: Runtime, clock: RuntimeOptions["clock"]): Promise<void> {
  const closing = rt.close();
  if (clock instanceof ManualClock) {
    const watched = watch(closing);
    for (let i = 0; i < 600 && !watched.settled; i++) {
      await flush(1);
      if (!watched.settled) clock.advance(1000);
    }
  }
  await closing;
}

/** Registers an inline module `name` in code whose api is `api`. */
export function inline(
  rt: Runtime,
  name: string,
  api: ModuleDefinition["api"],
  chipset: Partial<ChipsetManifest> = {},
  version = "1.0.0",
): void {
  rt.register({ name, version, chipset: { kind: "test", ...chipset } }, defineModule({ api }));
}

/**
 * The api of the worker and process fixtures: `ping` answers at once, `wait` never does,
 * `whoami` tells which thread and process run it, and `heapMb` the heap still referenced after
 * a full collection (V8 runs none by itself in an idle host, so a released leak would stay
 * counted; exposing `gc` this late is the fixture's business, no module's).
 */
const isolatedApi = `
let gc;
export const module = defineModule({ api: {
  ping(value = "pong") { return value; },
  wait() { return new Promise(() => {}); },
  async whoami() {
    const { threadId } = await import("node:worker_threads");
    return { pid: process.pid, threadId };
  },
  async heapMb() {
    if (gc === undefined) {
      const [v8, vm] = await Promise.all([import("node:v8"), import("node:vm")]);
      v8.setFlagsFromString("--expose-gc");
      gc = vm.runInNewContext("gc");
    }
    gc();
    return process.memoryUsage().heapUsed / 1048576;
  },
} });`;

/** Writes module `name` to the workspace, to run in a worker or a child process. */
export function isolated(
  ws: Workspace,
  name: string,
  isolation: "worker" | "process",
  chipset: Partial<ChipsetManifest> = {},
  version = "1.0.0",
): void {
  ws.module({ name, version, chipset: { isolation, ...chipset }, code: isolatedApi });
}

/** Every `name` event from now on, in order (for asserting how many there were). */
export function collect<K extends keyof RuntimeEvents>(rt: Runtime, name: K): Array<RuntimeEvents[K]> {
  const seen: Array<RuntimeEvents[K]> = [];
  rt.on(name, (e) => seen.push(e));
  return seen;
}

/** A promise's fate, readable synchronously once it settled. */
export interface Watched<T> {
  readonly settled: boolean;
  readonly value: T | undefined;
  readonly error: unknown;
  readonly done: Promise<void>;
}

/** Watches `promise` (its rejection is kept, never left unhandled). */
export function watch<T>(promise: Promise<T>): Watched<T> {
  const w = {
    settled: false,
    value: undefined as T | undefined,
    error: undefined as unknown,
    done: Promise.resolve(),
  };
  w.done = promise.then(
    (v) => void Object.assign(w, { settled: true, value: v }),
    (e: unknown) => void Object.assign(w, { settled: true, error: e }),
  );
  return w;
}

/**
 * Moves `clock` forward 1 ms at a time, letting the runtime react after each step, until every
 * one of `calls` settled; answers, for each, the ms after which it settled. Throws past `maxMs`.
 */
export async function settleTimes(
  clock: ManualClock,
  calls: Array<Watched<unknown>>,
  maxMs = 10_000,
): Promise<number[]> {
  const at: Array<number | undefined> = calls.map(() => undefined);
  for (let ms = 0; ; ms++) {
    await flush(2);
    calls.forEach((c, i) => {
      if (c.settled && at[i] === undefined) at[i] = ms;
    });
    if (at.every((t) => t !== undefined)) return at;
    if (ms >= maxMs) throw new Error(`calls still pending after ${maxMs} ms on the manual clock`);
    clock.advance(1);
  }
}

/** What a call failed with (fails the test if it answered). */
export async function failure(
  promise: Promise<unknown>,
): Promise<{ code?: string; cause?: { code?: string } }> {
  return (await promise.then(
    (v) => expect.unreachable(`the call answered ${JSON.stringify(v)}`),
    (e: unknown) => e,
  )) as { code?: string; cause?: { code?: string } };
}
