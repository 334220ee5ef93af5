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

  it("passes what the module writes to its console to the log, line by line: stdout as info, stderr as warn", async () => {
    const { host, bridge } = h.host(
      isolation,
      `export const module = defineModule({
         api: {
           speak() {
             console.log("first line\\nsecond line");
             process.stdout.write("in two ");
             process.stdout.write("writes\\n");
             console.error("something odd");
             return "spoken";
           },
         },
       });`,
    );
    await host.load(deadline());
    await expect(host.call("speak", [])).resolves.toBe("spoken");
    await bridge.logged("something odd");
    await bridge.logged("in two writes");
    const console = bridge.logs.filter((l) => (l.obj as { stream?: string } | null)?.stream !== undefined);
    expect(console.filter((l) => l.level === "info")).toEqual([
      { level: "info", obj: { stream: "stdout" }, msg: "first line" },
      { level: "info", obj: { stream: "stdout" }, msg: "second line" },
      { level: "info", obj: { stream: "stdout" }, msg: "in two writes" },
    ]);
    expect(console.filter((l) => l.level === "warn")).toEqual([
      { level: "warn", obj: { stream: "stderr" }, msg: "something odd" },
    ]);
  });

  it("keeps at most about 1 MiB per second of a module's console output, and says how much it dropped", async () => {
    const { host, bridge } = h.host(
      isolation,
      `export const module = defineModule({
         api: {
           // 16 MiB in 16,384 lines of 1 KiB, as fast as the module can write them.
           flood() {
             const line = "x".repeat(1023) + "\\n";
             for (let i = 0; i < 16384; i++) process.stdout.write(line);
             return "flooded";
           },
         },
       });`,
    );
    await host.load(deadline());
    await expect(host.call("flood", [])).resolves.toBe("flooded");
    // Reported once the second the output was dropped in is over.
    const notice = await bridge.logged("characters of stdout dropped");
    expect(notice.msg).toMatch(/^\[chipset: \d+ characters of stdout dropped: over 1048576 per second\]$/);
    const kept = bridge.logs.filter((l) => l.msg?.startsWith("xxx")).length;
    expect(kept).toBeGreaterThan(0);
    // Each second passes at most 1,024 of these lines; the flood took a few seconds at most.
    expect(kept).toBeLessThan(16384 / 2);
  });

  it("does not end a module flooding its stdout as hung: its heartbeats are not queued behind its output", async () => {
    const { host, crashes } = h.host(
      isolation,
      `export const module = defineModule({
         api: {
           // 64 KiB writes, one per turn of the event loop, for four hang windows in a row.
           flood(ms) {
             const chunk = "y".repeat(65535) + "\\n";
             const until = Date.now() + ms;
             return new Promise((resolve) => {
               const write = () => {
                 process.stdout.write(chunk);
                 if (Date.now() < until) setImmediate(write);
                 else resolve("flooded");
               };
               write();
             });
           },
         },
       });`,
      { hang: { timeoutMs: 1000, failureThreshold: 2 } },
    );
    await host.load(deadline());
    await expect(host.call("flood", [4000])).resolves.toBe("flooded");
    expect(crashes).toEqual([]);
  });

  it("routes ctx.use, ctx.optional, ctx.checkpoint and ctx.log to the bridge, also from api methods", async () => {
    const { host, bridge, key } = h.host(
      isolation,
      `let ctx;
       export const module = defineModule({
         async init(c) {
           ctx = c;
           c.log.info({ phase: "init" }, "initialising");
           c.log.warn("plain text");
           await c.checkpoint({ step: 1 });
         },
         api: {
           async viaUse(x) { return await ctx.use("store").get(x); },
           async viaOptional() { return await ctx.optional("cache").peek(); },
           absent() { return ctx.optional("gpu") === undefined; },
           undeclared() { try { ctx.use("secret"); } catch (e) { return [e.code, e.message]; } },
           undeclaredOptional() { try { ctx.optional("secret"); } catch (e) { return e.code; } },
           async save(s) { await ctx.checkpoint(s); return "saved"; },
           async failing() { try { await ctx.use("store").boom(); } catch (e) { return [e.code, e.message, e instanceof Error]; } },
         },
       });`,
      { requires: ["store"], optional: ["cache", "gpu"] },
    );
    bridge.answer = (target, method, args) =>
      method === "boom"
        ? Promise.reject(new ChipsetError(ErrorCodes.CALL_FAILED, "store.boom failed"))
        : Promise.resolve(`${target}.${method}(${args.join(",")})`);
    await host.load(deadline());
    await host.runHook("init", hookContext({ present: ["cache"] }));
    expect(bridge.logs.slice(0, 2)).toEqual([
      { level: "info", obj: { phase: "init" }, msg: "initialising" },
      { level: "warn", obj: "plain text", msg: undefined },
    ]);
    expect(bridge.checkpoints).toEqual([{ step: 1 }]);
    await expect(host.call("viaUse", ["k"])).resolves.toBe("store.get(k)");
    await expect(host.call("viaOptional", [])).resolves.toBe("cache.peek()");
    expect(bridge.uses).toEqual([
      { target: "store", method: "get", args: ["k"], optional: false },
      { target: "cache", method: "peek", args: [], optional: true },
    ]);
    await expect(host.call("absent", [])).resolves.toBe(true);
    const [code, message] = (await host.call("undeclared", [])) as [string, string];
    expect(code).toBe(ErrorCodes.DEPENDENCY_UNDECLARED);
    expect(message).toBe(
      `${key} used secret without declaring it; add "secret" to chipset.requires in its package.json`,
    );
    await expect(host.call("undeclaredOptional", [])).resolves.toBe(ErrorCodes.DEPENDENCY_UNDECLARED);
    await expect(host.call("save", [{ step: 2 }])).resolves.toBe("saved");
    expect(bridge.checkpoints).toEqual([{ step: 1 }, { step: 2 }]);
    await expect(host.call("failing", [])).resolves.toEqual([
      ErrorCodes.CALL_FAILED,
      "store.boom failed",
      true,
    ]);
  });

  it("cancels the module's ctx.use request when its own call is cancelled", async () => {
    const { host, bridge } = h.host(
      isolation,
      `let ctx; export const module = defineModule({ init(c) { ctx = c; }, api: { slow() { return ctx.use("store").forever(); } } });`,
      { requires: ["store"] },
    );
    let seen!: (signal: AbortSignal) => void;
    const bridgeSignal = new Promise<AbortSignal>((resolve) => (seen = resolve));
    bridge.answer = (_t, _m, _a, signal) => {
      seen(signal!);
      return new Promise(() => {});
    };
    await host.load(deadline());
    await host.runHook("init", hookContext());
    const controller = new AbortController();
    const call = host.call("slow", [], { signal: controller.signal });
    const signal = await bridgeSignal;
    expect(signal.aborted).toBe(false);
    const aborted = new Promise((resolve) => signal.addEventListener("abort", resolve));
    controller.abort(new Error("enough"));
    await expect(call).rejects.toMatchObject({ code: ErrorCodes.ABORTED });
    await aborted;
  });

  it("releases onStop items after stop, and after an init that failed", async () => {
    const stopped = await h.started(
      isolation,
      `let log; export const module = defineModule({
         init(ctx) { log = ctx.log; ctx.onStop(() => log.info("released fn")); ctx.onStop({ dispose() { log.info("released disposable"); } }); },
       });`,
    );
    expect(stopped.bridge.logs).toEqual([]);
    await stopped.host.runHook("stop", hookContext());
    expect(stopped.bridge.logs.map((l) => l.obj)).toEqual(["released disposable", "released fn"]);

    const failed = h.host(
      isolation,
      `let log; export const module = defineModule({
         init(ctx) { log = ctx.log; ctx.onStop(() => log.info("released after failed init")); throw new Error("init failed"); },
       });`,
    );
    await failed.host.load(deadline());
    await expect(failed.host.runHook("init", hookContext())).rejects.toThrow("init failed");
    expect(failed.bridge.logs.map((l) => l.obj)).toEqual(["released after failed init"]);
  });

  it("tells the module about a dependency change through dependencyChanged", async () => {
    const { host, bridge } = await h.started(
      isolation,
      `let log; export const module = defineModule({
         init(ctx) { log = ctx.log; },
         dependencyChanged(change) { log.info(change, "dependency changed"); if (change.status === "gave-up") throw new Error("cannot cope"); },
       });`,
    );
    host.notify("dependency", { id: "store", status: "crashed" });
    expect((await bridge.logged("dependency changed")).obj).toEqual({ id: "store", status: "crashed" });
    host.notify("dependency", { id: "store", status: "gave-up" });
    const line = await bridge.logged("dependencyChanged threw");
    expect(line.level).toBe("error");
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
