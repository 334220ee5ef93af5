import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/index.js";
import { runtimeHarness } from "../support/runtimeHarness.js";
import { crash, dieMethod, next } from "./helpers.js";

const h = runtimeHarness();

describe("removing a crashed module", () => {
  it("forgets that it was down: the version installed again serves every call", async () => {
    const dir = h.ws.module({
      name: "codec",
      chipset: { isolation: "worker", restart: { policy: "temporary" } },
      code: `export const module = defineModule({ api: { ping() { return "pong"; }, ${dieMethod} } });`,
    });
    const rt = h.open({ clock: new ManualClock(), hosts: { pool: { worker: 0, process: 0 } } });
    await rt.start("codec");
    const crashed = next(rt, "module.crashed");
    await crash(rt, "codec");
    await crashed;
    rt.remove("codec"); // allowed: a crashed module is not active
    rt.add(dir);
    // Two callers at once; the first one creates the fresh instance and loads it.
    const answers = await Promise.allSettled([rt.call("codec", "ping"), rt.call("codec", "ping")]);
    expect(
      answers.map((a) => (a.status === "fulfilled" ? a.value : (a.reason as { code: string }).code)),
    ).toEqual(["pong", "pong"]);
  });
});
