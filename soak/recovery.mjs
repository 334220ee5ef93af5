import { setTimeout as sleep } from "node:timers/promises";

/** Between two calls to a module that does not serve yet (ms). */
const RETRY_MS = 50;

/**
 * After the chaos, waits until every module serves again by itself (not through its fallback),
 * for at most `timeoutMs` (plus one call's timeout). A module stuck down would otherwise pass
 * unseen: calls to it fail with documented codes. It polls, because what it waits for varies:
 * the module's own restart, its dependency's, or a hang still to be noticed.
 * @returns the modules that never answered, each with its state and last error.
 */
export async function awaitRecovery({ runtime, ids, calls, timeoutMs }) {
  const deadline = performance.now() + timeoutMs;
  const outcomes = await Promise.all(
    ids.map(async (id) => {
      let last;
      while (performance.now() < deadline) {
        const outcome = await calls.run("recovery", (signal) => runtime.call(id, "work", [1], { signal }));
        if (outcome.ok && outcome.value.by === id) return undefined;
        if (outcome.ok) last = `answered by its fallback ${outcome.value.by}`;
        else last = outcome.hung ? "hung" : outcome.code;
        await sleep(RETRY_MS);
      }
      return { id, state: runtime.queries.info(id).state, last };
    }),
  );
  return outcomes.filter((o) => o !== undefined);
}
