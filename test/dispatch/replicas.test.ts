import { describe, expect, it } from "vitest";
import { ManualClock, type Runtime, type RuntimeEvents } from "../../src/index.js";
import { ErrorCodes } from "../../src/errors/codes.js";
import type { ChipsetManifest } from "../../src/vocabulary/manifest.js";
import { followEvents } from "../../src/cli/describeEvent.js";
import { held } from "../support/heldChannel.js";
import { runtimeHarness } from "../support/runtimeHarness.js";

const h = runtimeHarness();

/** A worker module with replicas whose `who()` answers the thread it runs on. */
function replicated(
  replicas: ChipsetManifest["replicas"],
  isolation: "worker" | "process" = "worker",
  more: Partial<ChipsetManifest> = {},
) {
  h.ws.module({
    name: "pool",
    chipset: { isolation, replicas, ...more },
    code: `
      import { threadId } from "node:worker_threads";
      let calls = 0;
      let sick = false;
      const sickness = new BroadcastChannel("sick");
      sickness.onmessage = (e) => {
        sick = e.data === threadId;
        // Says it has heard: the test waits for every replica before it calls.
        const heard = new BroadcastChannel("sick-heard");
        heard.postMessage(threadId);
        heard.close();
      };
      sickness.unref();
      export const module = defineModule({
        api: {
          who() { calls++; return process.pid + ":" + threadId; },
          whoFor(key) { return process.pid + ":" + threadId; },
          calls() { return calls; },
          // Throws while the test has named this replica's thread sick on the "sick" channel.
          maybeFail() {
            if (sick) throw new Error("this replica is sick");
            return threadId;
          },
          // Never answers while this replica is named sick (says on "held" that it hangs).
          maybeSlow() {
            if (!sick) return threadId;
            const held = new BroadcastChannel("held");
            held.postMessage("slow");
            held.close();
            return new Promise(() => {});
          },
          // In the process \`pid\` only: keeps another 8 MiB, touched, so that its resident memory grows.
          grow(pid) {
            if (pid !== process.pid) return 0;
            (globalThis.kept ??= []).push(Buffer.alloc(8 * 1024 * 1024, 1));
            return globalThis.kept.length;
          },
          // Answers once the test posts on the "release" channel; says on "held" that it is waiting.
          hold() {
            return new Promise((resolve) => {
              const release = new BroadcastChannel("release");
              release.onmessage = () => { release.close(); resolve(process.pid + ":" + threadId); };
              const held = new BroadcastChannel("held");
              held.postMessage("held");
              held.close();
            });
          },
        },
      });`,
  });
}

/** Names `thread` sick on the "sick" channel; resolves once `replicas` replicas have heard it. */
async function makeSick(thread: number, replicas: number): Promise<void> {
  const heard = new BroadcastChannel("sick-heard");
  let count = 0;
  const all = new Promise<void>((resolve) => {
    heard.onmessage = () => {
      if (++count === replicas) resolve();
    };
  });
  const sick = new BroadcastChannel("sick");
  sick.postMessage(thread);
  sick.close();
  await all;
  heard.close();
}

function open(): Runtime {
  return h.open({ hosts: { pool: { worker: 0, process: 0 } } });
}

/** Resolves once `count` replicas of `id` run. */
async function running(rt: Runtime, id: string, count: number): Promise<void> {
  const runningNow = () => rt.instances().filter((i) => i.id === id && i.state === "running").length;
  while (runningNow() < count) {
    await new Promise<void>((resolve) => {
      const started = rt.on("module.started", () => {
        started.dispose();
        resolve();
      });
    });
  }
}

describe("a module with replicas", () => {
  it("starts its min replicas, each in a worker of its own, and spreads calls evenly across them", async () => {
    replicated({ min: 3 });
    const rt = open();
    await rt.start("pool");
    await running(rt, "pool", 3);
    const keys = rt.instances().map((i) => i.key);
    expect(keys.sort()).toEqual(["pool@1.0.0", "pool@1.0.0#1", "pool@1.0.0#2"]);
    const seen = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const who = (await rt.call("pool", "who")) as string;
      seen.set(who, (seen.get(who) ?? 0) + 1);
    }
    expect([...seen.values()]).toEqual([10, 10, 10]);
  });

  it("scales up and down on request, and a replica scaled away stops after its calls", async () => {
    replicated({ min: 1, max: 4 });
    const rt = open();
    await rt.start("pool");
    const scaled: unknown[] = [];
    rt.on("replicas.scaled", (e) => scaled.push(e));
    expect(await rt.replicas.scale("pool", 3)).toEqual({ id: "pool", version: "1.0.0", from: 1, to: 3 });
    expect(rt.instances().filter((i) => i.state === "running")).toHaveLength(3);
    const [set] = rt.replicas.list();
    expect(set).toMatchObject({ id: "pool", version: "1.0.0", desired: 3, current: 3, min: 1, max: 4 });
    expect(set?.strategy).toBe("round_robin");
    expect(set?.members.map((m) => `${m.key} ${m.state} ${String(m.inRotation)}`)).toEqual([
      "pool@1.0.0 running true",
      "pool@1.0.0#1 running true",
      "pool@1.0.0#2 running true",
    ]);
    expect(new Set(set?.members.map((m) => m.thread)).size).toBe(3);
    await rt.replicas.scale("pool", 1);
    expect(rt.instances().map((i) => i.key)).toEqual(["pool@1.0.0"]);
    expect(scaled).toEqual([
      { id: "pool", version: "1.0.0", from: 1, to: 3, reason: "requested" },
      { id: "pool", version: "1.0.0", from: 3, to: 1, reason: "requested" },
    ]);
  });

  it("refuses a count beyond its max, naming the range", async () => {
    replicated({ min: 1, max: 2 });
    const rt = open();
    await expect(rt.replicas.scale("pool", 5)).rejects.toMatchObject({
      code: ErrorCodes.OPTIONS_INVALID,
      message: expect.stringContaining("from 1 to 2 replicas") as unknown,
    });
  });

  it("refuses to scale a module without replicas, saying what to add", async () => {
    h.ws.module({ name: "single", chipset: { isolation: "worker" } });
    const rt = open();
    await expect(rt.replicas.scale("single", 2)).rejects.toMatchObject({
      code: ErrorCodes.OPTIONS_INVALID,
      message: expect.stringContaining('Add "replicas"') as unknown,
    });
  });

  it("stops the replicas still starting when the module is stopped right after its start", async () => {
    replicated({ min: 3 });
    const rt = open();
    await rt.start("pool"); // resolves once the first replica runs; the others are still starting
    await rt.stop("pool");
    // Stopped, or never loaded if the stop came before its start began: none runs.
    await expect
      .poll(() => rt.instances().map((i) => `${i.key} ${i.state === "registered" ? "stopped" : i.state}`))
      .toEqual(["pool@1.0.0 stopped", "pool@1.0.0#1 stopped", "pool@1.0.0#2 stopped"]);
  });

  it("stops and unloads every replica with the module", async () => {
    replicated({ min: 2 });
    const rt = open();
    await rt.start("pool");
    await running(rt, "pool", 2);
    await rt.unload("pool");
    await expect
      .poll(() => rt.instances().map((i) => `${i.key} ${i.state}`))
      .toEqual(["pool@1.0.0 registered"]);
  });
});

describe("what people read of replicas", () => {
  it("the host's log lines and the shutdown report name each replica after the first with #n", async () => {
    replicated({ min: 3 });
    const rt = open();
    const lines: string[] = [];
    followEvents(rt, (line) => lines.push(line));
    await rt.start("pool");
    await running(rt, "pool", 3);
    expect(
      lines
        .filter((l) => l.startsWith("started"))
        .map((l) => l.split(" ")[1])
        .sort(),
    ).toEqual(["pool@1.0.0", "pool@1.0.0#1", "pool@1.0.0#2"]);
    const report = await rt.close();
    expect([...report.stopped].sort()).toEqual(["pool", "pool#1", "pool#2"]);
  });
});

describe("a replica that crashes", () => {
  // The first replica is the one every lifecycle command drives: its crash and restart must not
  // take the others down with it.
  for (const crashed of ["pool@1.0.0#1", "pool@1.0.0"]) {
    it(`loses no idempotent call under a steady load when ${crashed} crashes: its calls go to the others while it restarts`, async () => {
      const retry = { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 5, jitter: 0 };
      replicated({ min: 3 }, "worker", { calls: { methods: { who: { idempotent: true, retry } } } });
      const rt = open();
      await rt.start("pool");
      await running(rt, "pool", 3);
      const restarted = new Promise((resolve) => rt.on("module.restarted", resolve));
      const stopped: string[] = [];
      rt.on("module.stopped", (e) => stopped.push(`${e.id}#${e.replica ?? 0}`));
      let sent = 0;
      let answered = 0;
      const failures: unknown[] = [];
      const worker = async () => {
        while (sent < 300) {
          sent++;
          if (sent === 100) rt.faultHost(crashed, { action: "crash", message: "a replica dies" });
          try {
            await rt.call("pool", "who");
            answered++;
          } catch (err) {
            failures.push(err);
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      expect(failures).toEqual([]);
      expect(answered).toBe(300);
      await restarted;
      await running(rt, "pool", 3);
      expect(stopped).toEqual([]); // the replicas that did not crash never stopped
    });
  }
});

describe("a replica down while the others serve", () => {
  it("switches no fallback on and tells no dependent, neither when it crashes nor when it is back", async () => {
    replicated({ min: 3 }, "worker", { fallback: "backup" });
    h.ws.module({ name: "backup", chipset: { isolation: "worker" } });
    h.ws.module({
      name: "app",
      chipset: {
        isolation: "worker",
        requires: { pool: "^1.0.0" },
        restart: { onDependencyCrash: "restart" },
      },
      code: `export const module = defineModule({ api: { ping() { return "app"; } } });`,
    });
    const rt = open();
    await rt.start("app");
    await running(rt, "pool", 3);
    const told: string[] = [];
    rt.on("module.fallback", (e) => told.push(`fallback ${String(e.active)}`));
    rt.on("module.dependency", (e) => told.push(`${e.id} told ${e.status}`));
    rt.on("module.stopped", (e) => told.push(`${e.id} stopped`));
    const restarted = new Promise((resolve) => rt.on("module.restarted", resolve));
    rt.faultHost("pool@1.0.0", { action: "crash", message: "the first replica dies" });
    await restarted;
    await running(rt, "pool", 3);
    expect(await rt.call("app", "ping")).toBe("app");
    expect(told).toEqual([]);
  });
  it("when every replica is down, switches the fallback on in the module's name, and off as soon as one serves again", async () => {
    replicated({ min: 2 }, "worker", { fallback: "backup", restart: { initialDelayMs: 1_000 } });
    h.ws.module({ name: "backup", chipset: { isolation: "worker" } });
    const clock = new ManualClock();
    const rt = h.open({ clock, random: () => 0, hosts: { pool: { worker: 0, process: 0 } } });
    await rt.start("pool");
    await running(rt, "pool", 2);
    const told: string[] = [];
    rt.on("module.fallback", (e) => told.push(`fallback ${String(e.active)} ${e.id}#${e.replica ?? 0}`));
    const crashed = () => new Promise((resolve) => rt.on("module.crashed", resolve));
    let down = crashed();
    rt.faultHost("pool@1.0.0#1", { action: "crash", message: "the second replica dies first" });
    await down;
    clock.advance(500);
    down = crashed();
    rt.faultHost("pool@1.0.0", { action: "crash", message: "then the first" });
    await down;
    await expect.poll(() => told).toEqual(["fallback true pool#0"]);
    // The second replica's restart is due first: the module serves again with it alone.
    const restarted = new Promise<RuntimeEvents["module.restarted"]>((resolve) =>
      rt.on("module.restarted", resolve),
    );
    clock.advance(500);
    expect(await restarted).toMatchObject({ id: "pool", replica: 1 });
    expect(told).toEqual(["fallback true pool#0", "fallback false pool#0"]);
  });
});

describe("dispatch strategies over replicas", () => {
  it("least_loaded sends no call to the replica busy with one while the others are idle", async () => {
    replicated({ min: 3, strategy: "least_loaded" });
    const rt = open();
    await rt.start("pool");
    await running(rt, "pool", 3);
    const heldChannel = new BroadcastChannel("held");
    const held = new Promise((resolve) => (heldChannel.onmessage = resolve));
    const busy = rt.call("pool", "hold") as Promise<string>;
    await held;
    heldChannel.close();
    const answered = new Set<string>();
    for (let i = 0; i < 30; i++) answered.add((await rt.call("pool", "who")) as string);
    const release = new BroadcastChannel("release");
    release.postMessage("go");
    release.close();
    const busyReplica = await busy;
    expect(answered.has(busyReplica)).toBe(false);
    expect(answered.size).toBe(2);
  });

  it("consistent_hash keeps each key on its replica (replicas.keyArg names the key)", async () => {
    replicated({ min: 3, strategy: "consistent_hash", keyArg: 0 });
    const rt = open();
    await rt.start("pool");
    await running(rt, "pool", 3);
    const keys = Array.from({ length: 24 }, (_, i) => `user-${i}`);
    const first = new Map<string, string>();
    for (const key of keys) first.set(key, (await rt.call("pool", "whoFor", [key])) as string);
    for (const key of keys) expect(await rt.call("pool", "whoFor", [key])).toBe(first.get(key));
    expect(new Set(first.values()).size).toBeGreaterThan(1);
  });

  it("refuses to load a module whose strategy nobody registered, naming the known ones", async () => {
    replicated({ min: 2, strategy: "fastest_first" });
    const rt = open();
    await expect(rt.start("pool")).rejects.toMatchObject({
      code: ErrorCodes.STRATEGY_INVALID,
      message: expect.stringContaining("round_robin") as unknown,
    });
  });
});

describe("the health of replicas", () => {
  it("ejects a replica whose calls keep failing, says why, and sends the calls to the others", async () => {
    replicated({ min: 3, health: { failureThreshold: 3 } });
    const rt = open();
    await rt.start("pool");
    await running(rt, "pool", 3);
    const threads = new Set<number>();
    while (threads.size < 3) threads.add(Number(((await rt.call("pool", "who")) as string).split(":")[1]));
    const sickThread = [...threads][1]!;
    await makeSick(sickThread, 3);
    const ejected = new Promise<RuntimeEvents["replica.ejection"]>((resolve) =>
      rt.on("replica.ejection", (e) => e.event === "ejected" && resolve(e)),
    );
    let failures = 0;
    // Until the sick replica is out, about one call in three reaches it and fails.
    let out: RuntimeEvents["replica.ejection"] | undefined;
    void ejected.then((e) => (out = e));
    while (out === undefined) {
      try {
        await rt.call("pool", "maybeFail");
      } catch {
        failures++;
      }
    }
    expect(failures).toBe(3);
    expect(out).toMatchObject({ id: "pool", version: "1.0.0", event: "ejected" });
    expect(out.reason).toMatch(/3/);
    const answered = new Set<number>();
    for (let i = 0; i < 20; i++) answered.add((await rt.call("pool", "maybeFail")) as number);
    expect(answered.has(sickThread)).toBe(false);
    expect(answered.size).toBe(2);
  });
});

describe("document 004's failure table", () => {
  it("a call that times out on a hung replica is retried on another, and the slow replica weighs less", async () => {
    const calls = {
      methods: {
        maybeSlow: {
          idempotent: true,
          timeoutMs: 1_000,
          retry: { maxAttempts: 2, initialDelayMs: 10, jitter: 0 },
        },
      },
    };
    replicated({ min: 2 }, "worker", { calls });
    const clock = new ManualClock();
    const rt = h.open({ clock, hosts: { pool: { worker: 0, process: 0 } } });
    await rt.start("pool");
    await running(rt, "pool", 2);
    const threads = new Set<number>();
    while (threads.size < 2) threads.add(Number(((await rt.call("pool", "who")) as string).split(":")[1]));
    const [healthy, hung] = [...threads] as [number, number];
    await makeSick(hung, 2);
    // The retry's timer is set just after the event: move the clock on once it is.
    rt.on("retry.attempt", (e) => setImmediate(() => clock.advance(e.delayMs)));
    const answers: number[] = [];
    // Round robin: of two calls one reaches the hung replica, times out, and is answered by the other.
    for (let i = 0; i < 2; i++) {
      const hangs = held(1);
      const call = rt.call("pool", "maybeSlow") as Promise<number>;
      const first = await Promise.race([
        call.then(() => "answered" as const),
        hangs.then(() => "hung" as const),
      ]);
      if (first === "hung") clock.advance(1_000);
      answers.push(await call);
    }
    expect(answers).toEqual([healthy, healthy]);
    const hungMember = rt.replicas.list()[0]!.members.find((m) => m.thread === hung);
    expect(hungMember?.effectiveWeight).toBeLessThan(1);
  });

  it("drains and restarts a replica whose memory keeps rising, the other serving meanwhile, and takes it back in rotation", async () => {
    replicated({ min: 2, health: { memoryRiseSamples: 3 } }, "process");
    const clock = new ManualClock();
    const rt = h.open({ clock, hosts: { pool: { worker: 0, process: 0 } }, resources: { sampleMs: 1_000 } });
    await rt.start(); // sampling runs from the runtime's start
    await rt.start("pool");
    await running(rt, "pool", 2);
    const recycling = new Promise<RuntimeEvents["replica.health"]>((resolve) =>
      rt.on("replica.health", (e) => e.action === "drain-and-restart" && resolve(e)),
    );
    const unloaded: string[] = [];
    rt.on("module.unloaded", (e) => unloaded.push(`${e.id}#${e.replica ?? 0} ${e.reason}`));
    let seen: RuntimeEvents["replica.health"] | undefined;
    void recycling.then((e) => (seen = e));
    const pids = new Set<number>();
    while (pids.size < 2) pids.add(Number(((await rt.call("pool", "who")) as string).split(":")[0]));
    const [, leaking] = [...pids] as [number, number];
    const leakingReplica = rt.replicas.list()[0]?.members.find((m) => m.pid === leaking)?.replica;
    // Each round the leaking replica keeps 8 MiB more (round robin: one of two calls reaches it), then a sample.
    for (let round = 0; round < 10 && seen === undefined; round++) {
      await rt.call("pool", "grow", [leaking]);
      await rt.call("pool", "grow", [leaking]);
      clock.advance(1_000);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(seen).toMatchObject({
      id: "pool",
      to: "unhealthy",
      reason: expect.stringContaining("memory rose") as unknown,
    });
    // The leaking one is recycled (a young process's memory may rise a few samples too: the other may be as well).
    await expect.poll(() => unloaded).toContain(`pool#${String(leakingReplica)} recycled`);
    // Back in a fresh process, in rotation again, and both replicas serve.
    await running(rt, "pool", 2);
    const after = new Set<number>();
    for (let i = 0; i < 4; i++) after.add(Number(((await rt.call("pool", "who")) as string).split(":")[0]));
    expect(after.size).toBe(2);
    expect(after.has(leaking)).toBe(false);
    expect(rt.replicas.list()[0]?.members.map((m) => m.inRotation)).toEqual([true, true]);
  });
});

describe("autoscaling", () => {
  it("adds replicas while calls pile up past the target, and drains them when the load is gone", async () => {
    replicated({
      min: 1,
      max: 4,
      autoscale: { metric: "inflight", target: 2, scaleDown: { stabilizationWindowMs: 0 } },
    });
    const clock = new ManualClock();
    const rt = h.open({ clock, hosts: { pool: { worker: 0, process: 0 } }, resources: { sampleMs: 1000 } });
    await rt.start(); // sampling runs from the runtime's start
    await rt.start("pool");
    const scaled: Array<RuntimeEvents["replicas.scaled"]> = [];
    const nextScale = () =>
      new Promise<void>((resolve) => {
        const sub = rt.on("replicas.scaled", (e) => {
          scaled.push(e);
          sub.dispose();
          resolve();
        });
      });
    // Six calls held in the one replica: 6 in flight against a target of 2 per replica.
    const heldChannel = new BroadcastChannel("held");
    let held = 0;
    const allHeld = new Promise<void>((resolve) => (heldChannel.onmessage = () => ++held === 6 && resolve()));
    const holding = Array.from({ length: 6 }, () => rt.call("pool", "hold"));
    await allHeld;
    heldChannel.close();
    const up = nextScale();
    clock.advance(1000); // the first reading
    clock.advance(1000); // the first sample: a round to decide on
    await up;
    expect(scaled[0]).toMatchObject({ id: "pool", from: 1, to: 3 });
    expect(scaled[0]!.reason).toMatch(/inflight 6\.0 over target 2/);
    expect(rt.instances().filter((i) => i.state === "running")).toHaveLength(3);
    const release = new BroadcastChannel("release");
    release.postMessage("go");
    release.close();
    await Promise.all(holding);
    const down = nextScale();
    clock.advance(1000);
    await down;
    expect(scaled[1]).toMatchObject({ from: 3, to: 1 });
    await expect.poll(() => rt.instances().map((i) => i.key)).toEqual(["pool@1.0.0"]);
  });
});
