import { describe, expect, it } from "vitest";
import { defineModule, ManualClock, type Runtime, type RuntimeOptions } from "../../src/index.js";
import { ErrorCodes } from "../../src/errors/codes.js";
import { runtimeHarness } from "../support/runtimeHarness.js";
import { tracedModule } from "../support/trace.js";

const h = runtimeHarness();
const open = (options?: RuntimeOptions) => h.open(options);

const turn = () => new Promise((r) => setImmediate(r));

function chain(rt: Runtime) {
  rt.register(
    { name: "base", version: "1.0.0", chipset: { kind: "core" } },
    defineModule({ stop: () => void h.log.push("stop base"), api: { ping: () => "pong" } }),
  );
  rt.register(
    { name: "mid", version: "1.0.0", chipset: { kind: "service", requires: { base: "^1.0.0" } } },
    defineModule({ stop: () => void h.log.push("stop mid"), api: { ping: () => "mid" } }),
  );
  rt.register(
    { name: "top", version: "1.0.0", chipset: { kind: "service", requires: { mid: "^1.0.0" } } },
    defineModule({ stop: () => void h.log.push("stop top"), api: { ping: () => "top" } }),
  );
}

describe("the runtime lifecycle", () => {
  it("holds calls made while paused and answers them after resume", async () => {
    const rt = open();
    chain(rt);
    await rt.call("base", "ping");
    await rt.pause("base");
    let answered = false;
    const pending = rt.call("base", "ping").then((v) => {
      answered = true;
      return v;
    });
    await turn();
    expect(answered).toBe(false);
    await rt.resume("base");
    await expect(pending).resolves.toBe("pong");
  });

  it("refuses calls beyond the paused queue's bound at once", async () => {
    const rt = open({ pause: { maxWaiting: 2 } });
    chain(rt);
    await rt.call("base", "ping");
    await rt.pause("base");
    const waiting = [rt.call("base", "ping"), rt.call("base", "ping")];
    await expect(rt.call("base", "ping")).rejects.toMatchObject({ code: ErrorCodes.MODULE_PAUSED });
    await rt.resume("base");
    await expect(Promise.all(waiting)).resolves.toEqual(["pong", "pong"]);
  });

  it("refuses to stop a module with running dependents unless asked to cascade", async () => {
    const rt = open();
    chain(rt);
    await rt.call("top", "ping");
    await expect(rt.stop("base")).rejects.toMatchObject({
      code: ErrorCodes.MODULE_IN_USE,
      message: expect.stringContaining("mid@1.0.0") as unknown,
    });
    expect(rt.queries.info("base").state).toBe("running");
    await rt.stop("base", { cascade: true });
    expect(h.log).toEqual(["stop top", "stop mid", "stop base"]);
  });

  it("stops every module in reverse dependency order on close", async () => {
    const rt = open();
    chain(rt);
    await rt.call("top", "ping");
    const report = await rt.close();
    expect(h.log).toEqual(["stop top", "stop mid", "stop base"]);
    expect(report.stopped).toEqual(["top", "mid", "base"]);
    expect(() => rt.use("top")).not.toThrow();
    await expect(rt.call("top", "ping")).rejects.toMatchObject({ code: ErrorCodes.RUNTIME_CLOSED });
  });

  /** A module whose first start fails; its hooks are traced. */
  function flaky(rt: Runtime) {
    rt.register(
      { name: "flaky", version: "1.0.0", chipset: { kind: "x" } },
      defineModule({
        start: () => {
          h.log.push("start flaky");
          if (h.log.filter((l) => l === "start flaky").length === 1) throw new Error("port busy");
        },
        stop: () => void h.log.push("stop flaky"),
        api: { hi: () => "hi" },
      }),
    );
  }

  it("runs a module's stop hook once when its start failed", async () => {
    const rt = open();
    flaky(rt);
    await expect(rt.call("flaky", "hi")).rejects.toMatchObject({ code: ErrorCodes.HOOK_FAILED });
    expect(rt.queries.info("flaky").state).toBe("stopped");
    await rt.close();
    expect(h.log).toEqual(["start flaky", "stop flaky"]);
  });

  it("starts a module again after a failed start, on the next call", async () => {
    const rt = open();
    flaky(rt);
    await expect(rt.call("flaky", "hi")).rejects.toMatchObject({ code: ErrorCodes.HOOK_FAILED });
    await expect(rt.call("flaky", "hi")).resolves.toBe("hi");
    expect(h.log).toEqual(["start flaky", "stop flaky", "start flaky"]);
  });

  it("lets no module start after close(), even one whose activation was in flight", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let initStarted!: () => void;
    const initializing = new Promise<void>((r) => (initStarted = r));
    const rt = open();
    rt.register(
      { name: "base", version: "1.0.0", chipset: { kind: "x" } },
      defineModule({
        init: async () => {
          h.log.push("init base");
          initStarted();
          await gate;
        },
        stop: () => void h.log.push("stop base"),
        api: {},
      }),
    );
    rt.register(
      { name: "top", version: "1.0.0", chipset: { kind: "x", requires: { base: "1" } } },
      defineModule({ start: () => void h.log.push("start top"), api: { hi: () => 1 } }),
    );
    const call = rt.call("top", "hi").catch((e: unknown) => e);
    await initializing;
    const closing = rt.close();
    release();
    await closing;
    expect(await call).toMatchObject({ code: ErrorCodes.RUNTIME_CLOSED });
    expect(h.log).toEqual(["init base", "stop base"]);
    expect(() =>
      rt.register({ name: "late", version: "1.0.0", chipset: { kind: "x" } }, defineModule({})),
    ).toThrow(expect.objectContaining({ code: ErrorCodes.RUNTIME_CLOSED }) as Error);
  });

  it("answers a call that arrives while its module stops at once, not after the paused-call timeout", async () => {
    const rt = open({ pause: { maxWaitMs: 60_000 } });
    let finishStop!: () => void;
    let stopBegan!: () => void;
    const began = new Promise<void>((r) => (stopBegan = r));
    rt.register(
      { name: "slowstop", version: "1.0.0", chipset: { kind: "x" } },
      defineModule({
        stop: () => {
          stopBegan();
          return new Promise<void>((r) => (finishStop = r));
        },
        api: { hi: () => 1 },
      }),
    );
    await rt.call("slowstop", "hi");
    const stopping = rt.stop("slowstop");
    await began;
    const call = rt.call("slowstop", "hi").catch((e: unknown) => e);
    finishStop();
    await stopping;
    expect(await call).toMatchObject({ code: ErrorCodes.MODULE_UNAVAILABLE });
  });

  it("refuses to control another version of a module while one is active, instead of orphaning it", async () => {
    for (const v of ["1.0.0", "2.0.0"]) h.ws.module({ name: "codec", version: v });
    const rt = open();
    await rt.start("codec@1.0.0");
    await expect(rt.stop("codec@2.0.0")).rejects.toMatchObject({ code: ErrorCodes.MODULE_IN_USE });
    expect(rt.queries.info("codec").version).toBe("1.0.0");
    expect(rt.queries.info("codec").state).toBe("running");
  });

  it("starts a dependent whose dependency is paused (its calls wait for resume)", async () => {
    const rt = open();
    chain(rt);
    await rt.start("base");
    await rt.pause("base");
    await expect(rt.start("mid")).resolves.toBeUndefined();
    expect(rt.queries.info("mid").state).toBe("running");
  });

  it("finishes shutdown at its deadline when a stop hook hangs, and reports every module left", async () => {
    const clock = new ManualClock();
    const rt = open({ clock, shutdownTimeoutMs: 500, hookTimeoutMs: 60_000 });
    rt.register(
      { name: "base", version: "1.0.0", chipset: { kind: "x" } },
      defineModule({ stop: () => void h.log.push("stop base"), api: {} }),
    );
    rt.register(
      { name: "stuck", version: "1.0.0", chipset: { kind: "x", requires: { base: "1" } } },
      defineModule({ stop: () => new Promise<void>(() => {}), api: { hi: () => 1 } }),
    );
    await rt.call("stuck", "hi");
    const closing = rt.close();
    while (clock.pending < 2) await turn(); // the shutdown deadline and stuck's stop-phase timer
    clock.advance(500);
    const report = await closing;
    expect(report.failed).toEqual([
      { id: "stuck", error: expect.objectContaining({ code: ErrorCodes.SHUTDOWN_TIMEOUT }) as unknown },
      {
        id: "base",
        error: expect.objectContaining({
          code: ErrorCodes.SHUTDOWN_TIMEOUT,
          details: expect.objectContaining({ stopped: false }) as unknown,
        }) as unknown,
      },
    ]);
    // base was not stopped under a dependent that may still be using it.
    expect(h.log).toEqual([]);
  });

  it("runs application hooks around transitions for a kind, and a new kind's defaults apply", async () => {
    const clock = new ManualClock();
    const rt = open({ clock });
    rt.registerKind({ name: "media", defaults: { timeouts: { init: 40 } } });
    rt.hook("before:start", (e) => void h.log.push(`before:start ${e.id}`), { kind: "media" });
    rt.hook("after:init", (e) => void h.log.push(`after:init ${e.id}`));
    rt.register(
      { name: "film", version: "1.0.0", chipset: { kind: "media" } },
      defineModule({ api: { go: () => 1 } }),
    );
    rt.register(
      { name: "slow", version: "1.0.0", chipset: { kind: "media" } },
      defineModule({ init: () => new Promise<void>(() => {}), api: {} }),
    );
    await rt.call("film", "go");
    expect(h.log).toEqual(["after:init film", "before:start film"]);
    const failing = rt.call("slow", "go").catch((e: unknown) => e);
    for (let i = 0; i < 5; i++) await turn();
    clock.advance(40);
    expect(await failing).toMatchObject({
      code: ErrorCodes.HOOK_TIMEOUT,
      message: expect.stringContaining("40 ms") as unknown,
    });
  });

  it("validates modules registered in code like any other and registers nothing when invalid", () => {
    const rt = open();
    const bad = { name: "Bad Name", version: "1.0.0", chipset: { kind: "x" } };
    expect(() => rt.register(bad, defineModule({}))).toThrow(
      expect.objectContaining({ code: ErrorCodes.MANIFEST_INVALID }) as Error,
    );
    expect(() =>
      rt.register(
        { name: "ok", version: "1.0.0", chipset: { kind: "x", requires: { a: "not a range!" } } },
        defineModule({}),
      ),
    ).toThrow(
      expect.objectContaining({
        code: ErrorCodes.MANIFEST_INVALID,
        details: expect.objectContaining({ field: "chipset.requires.a" }) as unknown,
      }) as Error,
    );
    expect(rt.queries.list()).toEqual([]);
  });

  it("emits a typed event for every state change, and a disposed listener hears no more", async () => {
    const rt = open();
    chain(rt);
    const seen: string[] = [];
    const sub = rt.on("module.state", (e) => seen.push(`${e.id}:${e.from}->${e.to}`));
    await rt.call("base", "ping");
    sub.dispose();
    await rt.call("mid", "ping");
    expect(seen).toEqual([
      "base:registered->loaded",
      "base:loaded->initialized",
      "base:initialized->running",
    ]);
  });

  it("lets a removed version go and uses the one that remains", async () => {
    for (const v of ["1.0.0", "2.0.0"])
      h.ws.module({
        name: "codec",
        version: v,
        code: `export const module = defineModule({ api: { v() { return "${v}"; } } });`,
      });
    const rt = open();
    expect(await rt.call("codec", "v")).toBe("2.0.0");
    await rt.unload("codec");
    rt.remove("codec@2.0.0");
    expect(await rt.call("codec", "v")).toBe("1.0.0");
    await expect(Promise.resolve().then(() => rt.remove("codec"))).rejects.toMatchObject({
      code: ErrorCodes.MODULE_IN_USE,
    });
  });
});

describe("idle time", () => {
  it("unloads a lazy module idle past its timeout, but not one a running module depends on", async () => {
    const clock = new ManualClock();
    const rt = open({ clock, idleUnloadMs: 5_000, preload: 0 });
    chain(rt);
    rt.register(
      { name: "loner", version: "1.0.0", chipset: { kind: "x" } },
      defineModule({ api: { hi: () => 1 } }),
    );
    await rt.start();
    await rt.call("loner", "hi");
    await rt.call("mid", "ping");
    const unloaded: string[] = [];
    rt.on("module.unloaded", (e) => unloaded.push(`${e.id}:${e.reason}`));
    for (let i = 0; i < 7; i++) {
      clock.advance(1_000);
      for (let j = 0; j < 10; j++) await turn();
    }
    // base goes only after mid, the module that needed it, has gone.
    expect(unloaded).toEqual(["loner:idle", "mid:idle", "base:idle"]);
    expect(rt.queries.info("loner").state).toBe("registered");
  });

  it("persists usage across restarts and preloads the most used modules after start", async () => {
    h.ws.module({ name: "popular", code: tracedModule("popular", `{ hi() { return 1; } }`) });
    h.ws.module({ name: "rare", code: tracedModule("rare", `{ hi() { return 1; } }`) });
    const first = open({ preload: 0 });
    for (let i = 0; i < 5; i++) await first.call("popular", "hi");
    await first.close();
    const clock = new ManualClock();
    const rt = open({ clock, preload: 1, preloadDelayMs: 100 });
    const preloaded = new Promise<string>((resolve) =>
      rt.on("module.loaded", (e) => e.preload && resolve(e.id)),
    );
    await rt.start();
    clock.advance(100);
    expect(await preloaded).toBe("popular");
    expect(rt.queries.info("popular").state).toBe("loaded");
    expect(rt.queries.info("rare").state).toBe("registered");
  });
});
