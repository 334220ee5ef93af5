import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runtimeHarness } from "../support/runtimeHarness.js";
import { crash, dieMethod, next } from "./helpers.js";

const h = runtimeHarness();

describe("a restart that fails after init", () => {
  it("is tried again (the supervisor's own cleanup stop does not count as a stop request)", async () => {
    const marker = join(h.ws.root, "imported-once");
    h.ws.module({
      name: "ledger",
      chipset: { isolation: "worker", restart: { initialDelayMs: 0 } },
      code: `import { existsSync, writeFileSync } from "node:fs";
        let ctxRef;
        export const module = defineModule({
          init(ctx) { ctxRef = ctx; },
          importState() {
            // The first restart cannot read its checkpoint yet; the second can.
            if (!existsSync(ctxRef.config.marker)) { writeFileSync(ctxRef.config.marker, "x"); throw new Error("checkpoint not readable yet"); }
          },
          api: { async save() { await ctxRef.checkpoint({ n: 1 }); return 1; }, ping() { return "pong"; }, ${dieMethod} },
        });`,
    });
    const rt = h.open({
      random: () => 0,
      hosts: { pool: { worker: 0, process: 0 } },
      config: { ledger: { marker } },
    });
    await rt.call("ledger", "save");
    const failed = next(rt, "runtime.error", (e) => e.context.startsWith("restart of ledger"));
    const restarted = next(rt, "module.restarted");
    await crash(rt, "ledger");
    expect(((await failed).error as Error).message).toContain("checkpoint not readable yet");
    expect((await restarted).attempt).toBe(2);
    expect(await rt.call("ledger", "ping")).toBe("pong");
  });
});
