import { describe, expect, it } from "vitest";
import { ErrorCodes } from "../../src/errors/codes.js";
import { runtimeHarness } from "../support/runtimeHarness.js";
import { crash, dieMethod, next } from "./helpers.js";

const h = runtimeHarness();

/** A module that checkpoints `{ note }` of any size and hands back what a restart imported. */
const keeper = (isolation: "inline" | "worker", limits?: { checkpointKb: number }) =>
  h.ws.module({
    name: "keeper",
    chipset: { isolation, restart: { initialDelayMs: 0 }, ...(limits ? { limits } : {}) },
    code: `
      let ctxRef; let imported = null;
      export const module = defineModule({
        init(ctx) { ctxRef = ctx; },
        importState(state) { imported = state; },
        api: {
          // What the module sees: its checkpoint stored, or the error it was refused with.
          save(bytes) {
            return ctxRef.checkpoint({ note: "x".repeat(bytes) }).then(
              () => "saved",
              (e) => ({ code: e.code, message: e.message, details: e.details }),
            );
          },
          imported() { return imported === null ? null : imported.note.length; },
          ${dieMethod},
        },
      });`,
  });

describe("checkpoint size", () => {
  it("refuses a checkpoint over 1 MiB by default with CHIP_ERR_STATE_INVALID naming the limit", async () => {
    keeper("inline");
    const rt = h.open();
    await expect(rt.call("keeper", "save", [1000 * 1024])).resolves.toBe("saved");
    const refused = (await rt.call("keeper", "save", [1024 * 1024])) as { message: string };
    expect(refused).toMatchObject({ code: ErrorCodes.STATE_INVALID, details: { limitBytes: 1024 * 1024 } });
    expect(refused.message).toMatch(/^keeper@1\.0\.0: .* over its limit of 1024 KiB.*limits\.checkpointKb/);
  });

  it("keeps the last checkpoint that fitted its manifest's limit: a restart imports that one", async () => {
    keeper("worker", { checkpointKb: 4 });
    const rt = h.open({ hosts: { pool: { worker: 0, process: 0 } } });
    await expect(rt.call("keeper", "save", [1000])).resolves.toBe("saved");
    await expect(rt.call("keeper", "save", [5000])).resolves.toMatchObject({
      code: ErrorCodes.STATE_INVALID,
      details: { limitBytes: 4096 },
    });
    const restarted = next(rt, "module.restarted");
    await crash(rt, "keeper");
    await restarted;
    expect(await rt.call("keeper", "imported")).toBe(1000);
  });

  it("rejects a manifest whose checkpoint limit is not a whole number of KiB from 1 to 65536", () => {
    h.ws.module({ name: "greedy", chipset: { limits: { checkpointKb: 1e9 } } });
    const rt = h.open();
    expect(rt.lastScan.rejected.map((r) => r.error.code)).toEqual([ErrorCodes.MANIFEST_INVALID]);
  });
});

describe("checkpoints of versions side by side", () => {
  it("restarts each version from its own checkpoint, not the other's", async () => {
    for (const version of ["1.0.0", "2.0.0"])
      h.ws.module({
        name: "tally",
        version,
        chipset: { singleton: false, isolation: "worker", restart: { initialDelayMs: 0 } },
        code: `
          let ctxRef; let imported = null;
          export const module = defineModule({
            init(ctx) { ctxRef = ctx; },
            importState(state, from) { imported = { ...state, from }; },
            api: {
              save(note) { return ctxRef.checkpoint({ note }).then(() => "saved"); },
              imported() { return imported; },
              ${dieMethod},
            },
          });`,
      });
    const rt = h.open({ hosts: { pool: { worker: 0, process: 0 } } });
    await rt.call("tally@1.0.0", "save", ["one"]);
    await rt.call("tally@2.0.0", "save", ["two"]);
    const restarted = next(rt, "module.restarted", (e) => e.version === "1.0.0");
    await crash(rt, "tally@1.0.0");
    await restarted;
    // The newer checkpoint is 2.0.0's, and 2.0.0 still runs: 1.0.0 resumes from its own.
    expect(await rt.call("tally@1.0.0", "imported")).toEqual({ note: "one", from: "1.0.0" });
    expect(await rt.call("tally@2.0.0", "imported")).toBeNull();
  });
});

/** A worker engine with 2 replicas that checkpoints `{ note }` and hands back what a restart imported. */
const tally = () =>
  h.ws.module({
    name: "tally",
    chipset: {
      isolation: "worker",
      replicas: { min: 2 },
      engine: { type: "tally" },
      restart: { initialDelayMs: 0 },
    },
    code: `
        let ctxRef; let imported = null;
        export const module = defineModule({
          init(ctx) { ctxRef = ctx; },
          importState(state) { imported = state; },
          api: {
            save(note) { return ctxRef.checkpoint({ note }).then(() => "saved"); },
            imported() { return imported; },
          },
        });`,
  });

describe("checkpoints of replicas", () => {
  it("restarts a crashed replica from its own checkpoint, not another replica's", async () => {
    tally();
    const rt = h.open({ hosts: { pool: { worker: 0, process: 0 } } });
    await rt.start("tally");
    await expect.poll(() => rt.instances().filter((i) => i.state === "running").length).toBe(2);
    // The second replica's checkpoint is the older: its restart must still pick it.
    await rt.executeOn("tally@1.0.0#1", "save", "second replica's");
    await rt.executeOn("tally@1.0.0", "save", "first replica's");
    const restarted = next(rt, "module.restarted");
    rt.faultHost("tally@1.0.0#1", { action: "crash", message: "the second replica dies" });
    await restarted;
    expect(await rt.executeOn("tally@1.0.0#1", "imported")).toEqual({ note: "second replica's" });
    expect(await rt.executeOn("tally@1.0.0", "imported")).toBeNull();
  });
  it("forgets the checkpoint of a replica scaled away: made again at that number, it starts afresh", async () => {
    tally();
    const rt = h.open({ hosts: { pool: { worker: 0, process: 0 } } });
    await rt.start("tally");
    await expect.poll(() => rt.instances().filter((i) => i.state === "running").length).toBe(2);
    await rt.executeOn("tally@1.0.0#1", "save", "the old second replica's");
    await rt.replicas.scale("tally", 1);
    await rt.replicas.scale("tally", 2);
    const restarted = next(rt, "module.restarted");
    rt.faultHost("tally@1.0.0#1", { action: "crash", message: "the new second replica dies" });
    await restarted;
    expect(await rt.executeOn("tally@1.0.0#1", "imported")).toBeNull();
  });
});
