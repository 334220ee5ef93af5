// The code of every soak module; workspace.mjs copies it into each module directory. `work` is
// what the steady load calls; `crash(kind, target)` answers at once and then misbehaves in a
// timer, the way a buggy module would: after its caller has moved on.
import { Buffer } from "node:buffer";
import { defineModule } from "chipset/module";

/** Off-heap growth per step of `memory-limit`, and where it stops if nothing ends the host (MB). */
const CHUNK_MB = 4;
const MAX_OFF_HEAP_MB = 512;

let ctx;

/** One way to die per crash kind of docs/isolation.md. */
const misbehave = {
  "uncaught-exception": () => {
    throw new Error("soak: thrown in a timer");
  },
  "unhandled-rejection": () => {
    void Promise.reject(new Error("soak: left rejected"));
  },
  hang: () => {
    for (;;);
  },
  // Synchronous, so no heartbeat goes out meanwhile and a process host's RSS check (made with
  // each heartbeat) cannot end it first. Arrays of doubles hold no pointers for the collector to
  // trace, so the heap fills in a fraction of a second, well inside the hang timeout (small
  // integers take seconds on a busy machine, and the watchdog reports a hang instead).
  "heap-exhausted": () => {
    const hoard = [];
    for (let i = 0; ; i++) hoard.push(new Array(100_000).fill(i + 0.5));
  },
  exit: () => process.exit(3),
  abort: () => process.abort(),
  "memory-limit": () => growOffHeap([]),
};

// Buffers live outside the V8 heap, so the heap limit is never reached and only the RSS check can
// end this; filled pages count in RSS. One step per timer leaves room for heartbeats.
function growOffHeap(hoard) {
  if (hoard.length * CHUNK_MB >= MAX_OFF_HEAP_MB) return;
  hoard.push(Buffer.alloc(CHUNK_MB * 2 ** 20, 1));
  setTimeout(() => growOffHeap(hoard), 10);
}

export const module = defineModule({
  init(context) {
    ctx = context;
  },
  api: {
    /** A little CPU, then the dependency's answer when the module has one (`config.dependency`). */
    async work(n) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += i % 7;
      const dependency = ctx.config?.dependency;
      const via = dependency ? (await ctx.use(dependency).work(n)).by : undefined;
      return { by: ctx.id, sum, via };
    },
    /** Schedules crash `kind`, unless this call reached a fallback rather than `target`. */
    crash(kind, target) {
      if (target !== ctx.id) return "not me";
      setTimeout(misbehave[kind], 0);
      return "scheduled";
    },
  },
});
