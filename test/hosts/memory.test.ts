import { describe, expect, it, vi } from "vitest";
import { nodeFeatures } from "../../src/common/nodeFeatures.js";
import { hostHarness, isolations } from "./harness.js";

const h = hostHarness();
const MB = 1024 * 1024;

/** `hog(flags, mb)` keeps about `mb` MiB on its heap, sets flags[1], and spins until flags[0] is set. */
const HOG = `export const module = defineModule({ api: {
  hog(flags, mb) {
    const kept = [];
    // A packed array of doubles: 8 bytes each on the V8 heap, so 131072 of them are 1 MiB.
    for (let i = 0; i < mb; i++) kept.push(new Array(131072).fill(i + 0.5));
    Atomics.store(flags, 1, 1);
    while (Atomics.load(flags, 0) === 0) {}
    return kept.length;
  },
} });`;

describe.each(isolations)("the memory of a module in a %s host", (isolation) => {
  it("is read with its heartbeats: the heap in use and the resident memory of its process", async () => {
    const { host } = await h.started(isolation, HOG);
    await vi.waitFor(() => expect(host.memory()).toBeDefined());
    const { heapUsed, rss } = host.memory()!;
    expect(heapUsed).toBeGreaterThan(0);
    expect(rss).toBeGreaterThan(heapUsed);
  });
});

describe("the memory of a module in a worker host", () => {
  it.runIf(nodeFeatures.workerHeapStatistics)(
    "is still read while the module keeps the worker's event loop busy (Node 24)",
    async () => {
      const { host } = await h.started("worker", HOG);
      await vi.waitFor(() => expect(host.memory()).toBeDefined());
      const before = host.memory()!.heapUsed;
      const flags = new Int32Array(new SharedArrayBuffer(8));
      // Settled either way, so that a failed wait does not leave a rejection nobody handles.
      const answered = host.call("hog", [flags, 64]).catch((err: unknown) => err);
      try {
        await vi.waitFor(() => expect(Atomics.load(flags, 1)).toBe(1), { timeout: 30_000 });
        // Busy from now on: no heartbeat until the call returns.
        await vi.waitFor(() => expect(host.memory()!.heapUsed).toBeGreaterThan(before + 48 * MB), {
          timeout: 30_000,
        });
      } finally {
        Atomics.store(flags, 0, 1);
      }
      expect(await answered).toBe(64);
    },
  );
});
