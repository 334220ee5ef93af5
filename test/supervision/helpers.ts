import { expect } from "vitest";
import type { Runtime, RuntimeEvents } from "../../src/index.js";
import type { ChipsetError } from "../../src/errors/ChipsetError.js";
import { internals } from "../support/internals.js";

/** The next `name` event (optionally one that passes `test`). */
export function next<K extends keyof RuntimeEvents>(
  rt: Runtime,
  name: K,
  test: (e: RuntimeEvents[K]) => boolean = () => true,
): Promise<RuntimeEvents[K]> {
  return new Promise((resolve) => {
    const sub = rt.on(name, (e) => {
      if (!test(e)) return;
      sub.dispose();
      resolve(e);
    });
  });
}

/** Crashes `id` through its `die` method (process.exit in a timer) and returns the caller's error. */
export async function crash(rt: Runtime, id: string, code = 1): Promise<ChipsetError> {
  return (await rt.call(id, "die", [code]).then(
    () => expect.unreachable("die() answered"),
    (e: unknown) => e,
  )) as ChipsetError;
}

/** The body of a worker/process module that can be crashed with `die()`. */
export const dieMethod = `die(code = 1) { setTimeout(() => process.exit(code), 0); return new Promise(() => {}); }`;

/** Lets every queued microtask and immediate run (no wall-clock wait). */
export async function flush(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}

/** White-box: the promise of each supervisor restart attempt, in order. */
export function captureRestarts(rt: Runtime): Array<Promise<void>> {
  const sup = internals(rt).supervisor as unknown as Record<string, (...a: unknown[]) => Promise<void>>;
  const original = sup.restart!.bind(sup);
  const attempts: Array<Promise<void>> = [];
  sup.restart = (...args: unknown[]) => {
    const p = original(...args);
    attempts.push(p);
    return p;
  };
  return attempts;
}
