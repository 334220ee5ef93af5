import { afterEach, beforeEach, expect } from "vitest";
import {
  ChipsetError,
  createRuntime,
  defineModule,
  ManualClock,
  type ChipsetManifest,
  type Runtime,
  type RuntimeEvents,
  type RuntimeOptions,
} from "../../src/index.js";
import { isGone } from "../hosts/harness.js";
import { workspace, type Workspace } from "../support/fixtures.js";
import { internals } from "../support/internals.js";

/** Per-test state of a policy scenario: a fresh workspace and the runtimes the test opened. */
export interface PolicyHarness {
  readonly ws: Workspace;
  /** A runtime on the real clock (worker and process modules), closed after the test. */
  open(options?: RuntimeOptions): Runtime;
  /** A runtime on a manual clock: deadlines, retry delays and breaker timers move only on `clock.advance`. */
  openManual(options?: RuntimeOptions): { rt: Runtime; clock: ManualClock };
}

/**
 * Registers the hooks that give each test a fresh workspace, and afterwards close every runtime
 * it opened and check that no worker thread or child process was left behind.
 */
export function policyHarness(): PolicyHarness {
  let ws: Workspace | undefined;
  let opened: Array<{ rt: Runtime; pids: number[]; clock: ManualClock | undefined }> = [];
  beforeEach(() => {
    ws = workspace();
  });
  afterEach(async () => {
    try {
      for (const { rt, pids, clock } of opened) {
        // On a manual clock a call left hanging by a failed test would hold close() forever (stop
        // waits for calls in flight until its deadline): move time on until close is done.
        const closing = watch(rt.close());
        while (clock !== undefined && !closing.settled) {
          clock.advance(1_000);
          await new Promise((r) => setImmediate(r));
        }
        const report = await closing.promise;
        expect(report.failed, "modules that did not stop cleanly").toEqual([]);
        // White-box: the runtime's host pool counts every worker and child process it started.
        expect(internals(rt).pool.live).toBe(0);
        for (const pid of pids) expect(isGone(pid), `process ${pid} is still alive`).toBe(true);
      }
    } finally {
      opened = [];
      ws?.dispose();
    }
  });
  const open = (options: RuntimeOptions = {}, clock?: ManualClock): Runtime => {
    const rt = createRuntime({
      dataDir: ws!.dataDir,
      moduleDirs: [ws!.modulesDir],
      logLevel: "silent",
      preload: 0,
      random: () => 0,
      hosts: { pool: { worker: 0, process: 0 } },
      ...options,
    });
    const pids: number[] = [];
    rt.on("module.started", (e) => {
      if (e.host.isolation === "process") pids.push(e.host.pid);
    });
    opened.push({ rt, pids, clock });
    return rt;
  };
  return {
    get ws() {
      return ws!;
    },
    open: (options) => open(options),
    openManual(options = {}) {
      const clock = new ManualClock();
      return { rt: open({ clock, ...options }, clock), clock };
    },
  };
}

export { deferred, type Deferred } from "../support/deferred.js";

/** Registers an inline module `name@1.0.0` in code, with `api` and the manifest fields in `chipset`. */
export function inline(
  rt: Runtime,
  name: string,
  api: Record<string, (...args: never[]) => unknown>,
  chipset: Partial<ChipsetManifest> = {},
): void {
  rt.register({ name, version: "1.0.0", chipset: { kind: "test", ...chipset } }, defineModule({ api }));
}

/** The error `promise` rejects with (the test fails if it resolves, or with something else than a ChipsetError). */
export async function failure(promise: Promise<unknown>): Promise<ChipsetError> {
  const outcome = await promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) expect.unreachable(`the call answered ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(ChipsetError);
  return outcome.error as ChipsetError;
}

/** Tracks whether `promise` has settled yet, without ever rejecting unhandled. */
export function watch<T>(promise: Promise<T>): { readonly settled: boolean; readonly promise: Promise<T> } {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return {
    get settled() {
      return settled;
    },
    promise,
  };
}

export { next as nextEvent } from "../supervision/helpers.js";

/** Every `name` event from now on, in order. */
export function collect<K extends keyof RuntimeEvents>(rt: Runtime, name: K): Array<RuntimeEvents[K]> {
  const seen: Array<RuntimeEvents[K]> = [];
  rt.on(name, (e) => void seen.push(e));
  return seen;
}

/** Lets every queued microtask and immediate run (no wall-clock wait). */
export async function flush(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}

/**
 * The body of a worker or process module whose `hang` never answers until its call's signal
 * aborts, and whose `whenAborted` answers (the code and message of the abort reason, and the
 * method `currentCall()` named) once that happened. `fail` always throws.
 */
export const hangingModuleCode = `
import { currentCall } from "chipset/module";
let resolveAborted;
const aborted = new Promise((r) => (resolveAborted = r));
export const module = defineModule({
  api: {
    hang() {
      const call = currentCall();
      call.signal.addEventListener("abort", () => {
        const reason = call.signal.reason;
        resolveAborted({ method: call.method, code: reason?.code, message: reason?.message });
      });
      return new Promise(() => {});
    },
    whenAborted() { return aborted; },
    fail() { throw new Error("the disk is full"); },
  },
});`;
