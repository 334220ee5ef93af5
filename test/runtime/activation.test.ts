import { describe, expect, it } from "vitest";
import { type RuntimeOptions } from "../../src/index.js";
import { runtimeHarness } from "../support/runtimeHarness.js";
import { tracedModule } from "../support/trace.js";

const h = runtimeHarness();
const open = (options?: RuntimeOptions) => h.open(options);

describe("when modules start", () => {
  it("starts eager modules with the runtime and leaves lazy ones alone", async () => {
    h.ws.module({ name: "core", chipset: { activation: "eager" }, code: tracedModule("core") });
    h.ws.module({ name: "lazy", code: tracedModule("lazy") });
    const rt = open();
    const started: string[] = [];
    rt.on("runtime.started", (e) => started.push(...e.eager));
    await rt.start();
    expect(started).toEqual(["core"]);
    expect(h.log).toEqual(["init core", "start core"]);
    expect(rt.queries.info("lazy").state).toBe("registered");
  });

  it("rejects start when an eager module fails, with every module's outcome", async () => {
    h.ws.module({ name: "ok", chipset: { activation: "eager" } });
    h.ws.module({
      name: "bad",
      chipset: { activation: "eager" },
      code: `export const module = defineModule({ start() { throw new Error("port taken"); }, api: {} });`,
    });
    const err = (await open()
      .start()
      .catch((e: unknown) => e)) as Error & { details: { outcomes: Array<{ id: string; ok: boolean }> } };
    expect(err.message).toContain("port taken");
    expect(err.details.outcomes.sort((a, b) => a.id.localeCompare(b.id))).toMatchObject([
      { id: "bad", ok: false },
      { id: "ok", ok: true },
    ]);
  });

  it("starts the runtime once however often start() is called", async () => {
    h.ws.module({ name: "core", chipset: { activation: "eager" }, code: tracedModule("core") });
    const rt = open();
    let started = 0;
    rt.on("runtime.started", () => started++);
    await Promise.all([rt.start(), rt.start()]);
    await rt.start();
    expect(started).toBe(1);
    expect(h.log).toEqual(["init core", "start core"]);
  });

  it("takes a module's activation from its kind unless its manifest says otherwise", async () => {
    h.ws.module({ name: "driver", chipset: { kind: "driver" }, code: tracedModule("driver") });
    h.ws.module({
      name: "lazy-driver",
      chipset: { kind: "driver", activation: "lazy" },
      code: tracedModule("lazy-driver"),
    });
    const rt = open();
    rt.registerKind({ name: "driver", defaults: { activation: "eager" } });
    await rt.start();
    expect(h.log).toEqual(["init driver", "start driver"]);
  });

  it("starts modules whose activation event fires", async () => {
    h.ws.module({
      name: "thumbs",
      chipset: { activation: { onEvent: ["media.imported"] } },
      code: tracedModule("thumbs"),
    });
    const rt = open();
    await rt.start();
    expect(h.log).toEqual([]);
    await rt.activate("media.imported");
    expect(h.log).toEqual(["init thumbs", "start thumbs"]);
  });
});
