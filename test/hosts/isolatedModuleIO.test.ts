import { describe, expect, it } from "vitest";
import { ChipsetError } from "../../src/errors/ChipsetError.js";
import { ErrorCodes } from "../../src/errors/codes.js";
import { deadline, hookContext, hostHarness, isolations } from "./harness.js";

const h = hostHarness();

// What crosses between an isolated module and the runtime besides calls and hooks: its console
// output, its requests (ctx.use, checkpoints, logs), onStop cleanups and dependency notices.
describe.each(isolations)("a module in a %s host", (isolation) => {
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
});
