import { describe, expect, it } from "vitest";
import { ChipsetError } from "../../src/errors/ChipsetError.js";
import { ErrorCodes } from "../../src/errors/codes.js";
import { deadline, hookContext, hostHarness, isGone, isolations } from "./harness.js";

const h = hostHarness();

describe.each(isolations)("a module in a %s host", (isolation) => {
  it("loads, runs its hooks, answers calls and definition functions", async () => {
    const { host } = h.host(
      isolation,
      `let config;
       export const module = defineModule({
         init(ctx) { config = ctx.config; },
         start() {},
         api: { add(a, b) { return a + b; }, async later(x) { await new Promise((r) => setTimeout(r, 1)); return { x, config }; }, notAFunction: 1 },
         health() { return { ok: true, detail: "fine" }; },
         exportState() { return { n: 42 }; },
       });`,
    );
    expect(host.loaded).toBe(false);
    await host.load(deadline());
    expect(host.loaded).toBe(true);
    expect(host.methods().sort()).toEqual(["add", "later"]);
    expect(host.hasMethod("add")).toBe(true);
    expect(host.hasMethod("notAFunction")).toBe(false);
    expect(host.hasHook("init")).toBe(true);
    expect(host.hasHook("pause")).toBe(false);
    expect(host.hasHook("stop")).toBe(true); // always: the child releases onStop items
    expect(host.hasFunction("health")).toBe(true);
    expect(host.hasFunction("importState")).toBe(false);
    await host.runHook("init", hookContext({ config: { depth: 3 } }));
    await host.runHook("start", hookContext());
    await expect(host.call("add", [2, 3])).resolves.toBe(5);
    await expect(host.call("later", ["x"])).resolves.toEqual({ x: "x", config: { depth: 3 } });
    await expect(host.callFunction("health", [])).resolves.toEqual({ ok: true, detail: "fine" });
    await expect(host.callFunction("exportState", [])).resolves.toEqual({ n: 42 });
    const info = host.info();
    expect(info.isolation).toBe(isolation);
    if (isolation === "worker") {
      expect(info.pid).toBe(process.pid);
      expect(info.threadId).toBeGreaterThan(0);
    } else {
      expect(info.pid).not.toBe(process.pid);
      expect(info.threadId).toBe(0);
    }
  });

  it("rejects with the module's error: class, name, message, code, stack and cause preserved", async () => {
    const { host } = await h.started(
      isolation,
      `export const module = defineModule({ api: {
         fail() { const e = new RangeError("out of range", { cause: new Error("root cause") }); e.code = "E_RANGE"; throw e; },
         async failLater() { throw new TypeError("later"); },
         chipset() { const e = new Error("typed"); e.code = "CHIP_ERR_MODULE_NOT_FOUND"; e.module = "x"; e.details = { id: "x" }; throw e; },
       } });`,
    );
    const err = (await host.call("fail", []).catch((e: unknown) => e)) as Error & { code?: string };
    expect(err).toBeInstanceOf(RangeError);
    expect(err.message).toBe("out of range");
    expect(err.code).toBe("E_RANGE");
    expect(err.stack).toContain("index.js");
    expect((err.cause as Error).message).toBe("root cause");
    await expect(host.call("failLater", [])).rejects.toBeInstanceOf(TypeError);
    const typed = (await host.call("chipset", []).catch((e: unknown) => e)) as ChipsetError;
    expect(typed).toBeInstanceOf(ChipsetError);
    expect(typed.code).toBe(ErrorCodes.MODULE_NOT_FOUND);
    expect(typed.module).toBe("x");
    expect(typed.details).toEqual({ id: "x" });
  });

  it("says so when a result or the arguments cannot be cloned", async () => {
    const { host } = await h.started(
      isolation,
      `export const module = defineModule({ api: { fn() { return () => 1; }, echo(x) { return x; } } });`,
    );
    await expect(host.call("fn", [])).rejects.toThrow(/result of fn could not be sent/);
    await expect(host.call("echo", [() => 1])).rejects.toThrow(/arguments of echo could not be sent/);
    await expect(host.call("echo", [1])).resolves.toBe(1);
  });

  it("fails to load with CHIP_ERR_LOAD_FAILED, the import error as cause, and ends the host", async () => {
    const broken = h.host(
      isolation,
      `export const module = defineModule({ api: { x() {} } }); this is not javascript`,
    );
    const err = (await broken.host.load(deadline()).catch((e: unknown) => e)) as ChipsetError;
    expect(err.code).toBe(ErrorCodes.LOAD_FAILED);
    expect(err.message).toMatch(/importing .*index\.js failed/);
    expect((err.cause as Error).name).toBe("SyntaxError");
    expect(broken.host.loaded).toBe(false);

    const empty = h.host(isolation, `export const nothing = 1;`);
    const err2 = (await empty.host.load(deadline()).catch((e: unknown) => e)) as ChipsetError;
    expect(err2.code).toBe(ErrorCodes.LOAD_FAILED);
    expect(err2.message).toContain("does not export a module definition");
    await h.pool.close();
    expect(h.pool.live).toBe(0);
    expect(broken.crashes).toEqual([]);
  });

  it("throws CHIP_ERR_SYNC_LOAD_UNSUPPORTED from loadSync", () => {
    const { host } = h.host(isolation, `export const module = defineModule({});`);
    expect(() => host.loadSync()).toThrow(
      expect.objectContaining({ code: ErrorCodes.SYNC_LOAD_UNSUPPORTED }),
    );
  });

  it("aborts a load when its deadline fires, and ends the host", async () => {
    const { host } = h.host(
      isolation,
      `await new Promise(() => {}); export const module = defineModule({});`,
    );
    const controller = new AbortController();
    const loading = host.load(deadline(controller.signal));
    controller.abort(new Error("too slow"));
    const err = (await loading.catch((e: unknown) => e)) as ChipsetError;
    expect(err.code).toBe(ErrorCodes.ABORTED);
    expect((err.cause as Error).message).toBe("too slow");
    await h.pool.close();
    expect(h.pool.live).toBe(0);
  });

  it("runs calls concurrently", async () => {
    const { host } = await h.started(
      isolation,
      `let release; const gate = new Promise((r) => (release = r));
       export const module = defineModule({ api: { async waiter() { return "after " + (await gate); }, open(v) { release(v); return "opened"; } } });`,
    );
    // Queued calls would deadlock here: the first waits for the second.
    const first = host.call("waiter", []);
    await expect(host.call("open", ["x"])).resolves.toBe("opened");
    await expect(first).resolves.toBe("after x");
  });

  it("cancels a call across the boundary: the module's signal fires and the caller gets CHIP_ERR_ABORTED", async () => {
    const { host, bridge } = await h.started(
      isolation,
      `import { currentCall } from "chipset/module";
       let log;
       export const module = defineModule({
         init(ctx) { log = ctx.log; },
         api: {
           wait() {
             const call = currentCall();
             return new Promise((_, reject) => call.signal.addEventListener("abort", () => {
               log.info({ reason: call.signal.reason.message, method: call.method }, "signal fired");
               reject(call.signal.reason);
             }));
           },
           plain() { const call = currentCall(); return [call.method, call.signal.aborted]; },
         },
       });`,
    );
    const controller = new AbortController();
    const call = host.call("wait", [], { signal: controller.signal });
    controller.abort(new Error("user gave up"));
    const err = (await call.catch((e: unknown) => e)) as ChipsetError;
    expect(err.code).toBe(ErrorCodes.ABORTED);
    expect((err.cause as Error).message).toBe("user gave up");
    const line = await bridge.logged("signal fired");
    expect(line.obj).toEqual({ reason: "user gave up", method: "wait" });
    // Without a signal, the call is still named, and its signal never fires.
    await expect(host.call("plain", [])).resolves.toEqual(["plain", false]);
    // An already aborted signal rejects without reaching the module.
    await expect(
      host.call("plain", [], { signal: AbortSignal.abort(new Error("early")) }),
    ).rejects.toMatchObject({
      code: ErrorCodes.ABORTED,
    });
  });

  it("cancels a hook when its phase signal fires; currentCall() names the hook", async () => {
    const { host, bridge } = h.host(
      isolation,
      `import { currentCall } from "chipset/module";
       export const module = defineModule({
         init(ctx) {
           const call = currentCall();
           ctx.log.info({ method: call.method, same: call.signal === ctx.signal }, "init running");
           return new Promise((_, reject) => ctx.signal.addEventListener("abort", () => { ctx.log.warn("init aborted"); reject(ctx.signal.reason); }));
         },
       });`,
    );
    await host.load(deadline());
    const controller = new AbortController();
    const init = host.runHook("init", hookContext({ signal: controller.signal })) as Promise<void>;
    expect((await bridge.logged("init running")).obj).toEqual({ method: "init", same: true });
    controller.abort(new Error("hook timeout"));
    await expect(init).rejects.toMatchObject({ code: ErrorCodes.ABORTED });
    await bridge.logged("init aborted");
  });

  it("unloads quietly: the host ends, no crash is reported, pending requests are rejected", async () => {
    const { host, crashes } = await h.started(
      isolation,
      `export const module = defineModule({ api: { forever() { return new Promise(() => {}); } } });`,
    );
    const pid = host.info().pid;
    const pending = host.call("forever", []);
    host.unload();
    expect(host.loaded).toBe(false);
    await expect(pending).rejects.toMatchObject({ code: ErrorCodes.MODULE_UNAVAILABLE });
    await expect(host.call("forever", [])).rejects.toMatchObject({ code: ErrorCodes.MODULE_UNAVAILABLE });
    await h.pool.close();
    expect(h.pool.live).toBe(0);
    expect(crashes).toEqual([]);
    if (isolation === "process") expect(isGone(pid)).toBe(true);
  });

  it("shares one host between concurrent loads; an unload during a load cancels it", async () => {
    const { host } = h.host(
      isolation,
      `export const module = defineModule({ api: { pid() { return process.pid; } } });`,
    );
    await Promise.all([host.load(deadline()), host.load(deadline())]);
    expect(h.pool.live).toBe(1);
    host.unload();
    const loading = host.load(deadline());
    host.unload();
    await expect(loading).rejects.toMatchObject({ code: ErrorCodes.MODULE_UNAVAILABLE });
    expect(host.loaded).toBe(false);
    await h.pool.close();
    expect(h.pool.live).toBe(0);
  });

  it("loads again after a crash, in a fresh host, and forgets the crash", async () => {
    const { host, crashed } = await h.started(
      isolation,
      `let n = 0; export const module = defineModule({ api: { count() { return ++n; }, die() { setImmediate(() => process.exit(7)); return "dying"; } } });`,
    );
    await host.call("count", []);
    await host.call("die", []);
    expect((await crashed).exitCode).toBe(7);
    await host.load(deadline());
    expect(host.crash).toBeUndefined();
    await expect(host.call("count", [])).resolves.toBe(1);
  });

  it("loads again after an unload, in a fresh host", async () => {
    const { host } = await h.started(
      isolation,
      `let n = 0; export const module = defineModule({ api: { count() { return ++n; } } });`,
    );
    await host.call("count", []);
    await expect(host.call("count", [])).resolves.toBe(2);
    host.unload();
    await host.load(deadline());
    await expect(host.call("count", [])).resolves.toBe(1);
  });
});
