import { join } from "node:path";
import { expect } from "vitest";
import type { Runtime, RuntimeOptions } from "../../src/index.js";
import type { RuntimeHarness } from "../support/runtimeHarness.js";
import { counter } from "./counterModule.js";

export type Isolation = "inline" | "worker" | "process";

/** What `counter.hit()` answers. */
export interface Hit {
  version: string;
  count: number;
}

/** Writes counter@1.0.0 and counter@2.0.0 (its code and manifest fields given) into the workspace; answers 2.0.0's directory. */
export function installCounter(
  h: RuntimeHarness,
  isolation: Isolation,
  v2Code = counter(),
  v2Manifest: Record<string, unknown> = {},
): string {
  h.ws.module({ name: "counter", version: "1.0.0", chipset: { isolation }, code: counter() });
  return h.ws.module({
    name: "counter",
    version: "2.0.0",
    chipset: { isolation, ...v2Manifest },
    code: v2Code,
    dirName: "counter-next",
  });
}

/** Opens a runtime that knows only counter@1.0.0 (the new version is added by the update itself), after one call. */
export async function runningV1(
  h: RuntimeHarness,
  isolation: Isolation,
  v2Code?: string,
  v2Manifest?: Record<string, unknown>,
  options: RuntimeOptions = {},
): Promise<{ rt: Runtime; next: string }> {
  const next = installCounter(h, isolation, v2Code, v2Manifest);
  const rt = h.open({ moduleDirs: [join(h.ws.modulesDir, "counter-1.0.0")], ...options });
  expect(await rt.call("counter", "hit")).toEqual({ version: "1.0.0", count: 1 });
  return { rt, next };
}

/** The addresses of the live instances of `counter`. */
export function counterInstances(rt: Runtime): string[] {
  return rt
    .instances()
    .filter((i) => i.id === "counter")
    .map((i) => i.key);
}

/**
 * Calls `counter.hit()` from `lanes` loops until `stop` settles; answers every result and every
 * failure, and tells `onResult` of each result as it comes. The loops never wait on time, only on
 * the calls and the event loop.
 */
export function load(
  rt: Runtime,
  stop: Promise<unknown>,
  lanes = 4,
  onResult: (hit: Hit, results: readonly Hit[]) => void = () => undefined,
): Promise<{ results: Hit[]; failures: unknown[] }> {
  let done = false;
  void stop.finally(() => (done = true)).catch(() => undefined);
  const results: Hit[] = [];
  const failures: unknown[] = [];
  const lane = async () => {
    while (!done) {
      // One call per turn of the event loop, as requests arrive: an inline module answers in
      // microtasks, and a loop of those alone would never let the update's own I/O run.
      await new Promise((resolve) => setImmediate(resolve));
      try {
        const hit = (await rt.call("counter", "hit")) as Hit;
        results.push(hit);
        onResult(hit, results);
      } catch (err) {
        failures.push(err);
      }
    }
  };
  return Promise.all(Array.from({ length: lanes }, lane)).then(() => ({ results, failures }));
}
