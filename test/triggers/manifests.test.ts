import { describe, expect, it } from "vitest";
import { ChipsetError, createRuntime } from "../../src/index.js";
import { validatePackageManifest } from "../../src/registry/validateManifest.js";
import type { TriggerManifest } from "../../src/vocabulary/triggers.js";
import { runtimeHarness } from "../support/runtimeHarness.js";

const h = runtimeHarness();

function manifest(triggers: unknown) {
  return { name: "hooks", version: "1.0.0", chipset: { kind: "test", triggers } };
}

/** The `CHIP_ERR_MANIFEST_INVALID` that validating `triggers` throws. */
function refusal(triggers: unknown): ChipsetError {
  try {
    validatePackageManifest(manifest(triggers), "hooks/package.json");
  } catch (err) {
    expect(err).toBeInstanceOf(ChipsetError);
    expect((err as ChipsetError).code).toBe("CHIP_ERR_MANIFEST_INVALID");
    return err as ChipsetError;
  }
  throw new Error("the manifest was accepted");
}

describe("a manifest's triggers", () => {
  it("accept cron schedules (5 fields, or 6 with seconds) and HTTP routes", () => {
    const triggers: TriggerManifest[] = [
      { cron: "*/5 * * * *", call: "sweep" },
      { cron: "30 0 9 * * MON-FRI", call: "report" },
      { http: { method: "POST", path: "/hooks/ingest" }, call: "ingest" },
      { http: { method: "GET", path: "/hooks/ingest" }, call: "status" },
    ];
    expect(validatePackageManifest(manifest(triggers), "package.json").chipset.triggers).toEqual(triggers);
  });

  it("refuse a bad cron expression, naming the field and croner's reason", () => {
    const err = refusal([
      { cron: "*/5 * * * *", call: "a" },
      { cron: "61 * * * *", call: "sweep" },
    ]);
    expect(err.details).toMatchObject({ field: "chipset.triggers.1.cron", found: '"61 * * * *"' });
    expect(err.message).toContain('"chipset.triggers.1.cron" is not a valid cron expression');
    expect(err.message).toContain("minute");
    expect(refusal([{ cron: "* * *", call: "a" }]).details).toMatchObject({
      field: "chipset.triggers.0.cron",
    });
  });

  it("refuse a trigger that is neither cron nor HTTP, or misses its call", () => {
    expect(refusal([{ every: "5m", call: "a" }]).message).toContain("chipset.triggers.0");
    expect(refusal([{ cron: "* * * * *" }]).message).toContain('"chipset.triggers.0.call" is missing');
    expect(refusal([{ http: { method: "TRACE", path: "/x" }, call: "a" }]).details).toMatchObject({
      field: "chipset.triggers.0.http.method",
    });
  });

  it("refuse an HTTP path that is not a plain path, or one declared twice", () => {
    expect(refusal([{ http: { method: "POST", path: "hooks" }, call: "a" }]).details).toMatchObject({
      field: "chipset.triggers.0.http.path",
    });
    expect(refusal([{ http: { method: "POST", path: "/hooks/../admin" }, call: "a" }]).details).toMatchObject(
      {
        field: "chipset.triggers.0.http.path",
      },
    );
    const twice = refusal([
      { http: { method: "POST", path: "/hooks/a" }, call: "a" },
      { http: { method: "POST", path: "/hooks/a" }, call: "b" },
    ]);
    expect(twice.message).toContain("repeats POST /hooks/a, declared by chipset.triggers.0 already");
  });

  it("refuse a module whose HTTP trigger takes another module's route, writing nothing", () => {
    const route: TriggerManifest = { http: { method: "POST", path: "/hooks/ingest" }, call: "ingest" };
    h.ws.module({ name: "first", chipset: { triggers: [route] } });
    const rt = h.open();
    const second = h.ws.module({
      name: "second",
      chipset: { triggers: [{ cron: "0 * * * *", call: "x" }, route] },
    });
    let error: ChipsetError | undefined;
    try {
      rt.add(second);
    } catch (err) {
      error = err as ChipsetError;
    }
    expect(error?.code).toBe("CHIP_ERR_MANIFEST_INVALID");
    expect(error?.details).toMatchObject({ field: "chipset.triggers.1.http" });
    expect(error?.message).toContain("declares POST /hooks/ingest, which first@1.0.0 serves already");
    expect(rt.registry.has("second")).toBe(false);
  });

  it("reject the later of two modules found with one route at start-up, and register the others", () => {
    const route: TriggerManifest = { http: { method: "POST", path: "/hooks/ingest" }, call: "ingest" };
    h.ws.module({ name: "alpha", chipset: { triggers: [route] } });
    h.ws.module({ name: "beta", chipset: { triggers: [route] } });
    h.ws.module({ name: "gamma" });
    const rt = h.open();
    expect(rt.lastScan.added.map((r) => r.id).sort()).toEqual(["alpha", "gamma"]);
    expect(rt.lastScan.rejected.map((r) => r.error.details)).toMatchObject([
      { field: "chipset.triggers.0.http" },
    ]);
  });

  it("refuse a module registered in code whose trigger calls a method its api does not have", () => {
    const rt = h.open();
    expect(() =>
      rt.register(
        {
          name: "coded",
          version: "1.0.0",
          chipset: { kind: "test", triggers: [{ cron: "* * * * *", call: "swep" }] },
        },
        { api: { sweep() {} } },
      ),
    ).toThrow(
      /"chipset\.triggers\.0\.call" names "swep", which is not a method of the module's api; expected a method of the module's api \(sweep\)/,
    );
    expect(rt.triggers.list()).toEqual([]);
  });
});

describe("the triggers' time zone", () => {
  it("refuses an unknown time zone in the options, before anything is opened", () => {
    expect(() => createRuntime({ dataDir: h.ws.dataDir, triggers: { timeZone: "Mars/Olympus" } })).toThrow(
      /triggers\.timeZone.*an IANA time zone such as "Europe\/Paris"/,
    );
  });

  it("is read from the config file's triggers.timeZone", async () => {
    const fs = await import("node:fs");
    const file = `${h.ws.root}/chipset.config.json`;
    fs.writeFileSync(file, JSON.stringify({ triggers: { timeZone: "Pacific/Nowhere" } }));
    expect(() => h.open({ configFile: file })).toThrow(/triggers\.timeZone/);
    h.ws.module({ name: "cronned", chipset: { triggers: [{ cron: "0 0 * * *", call: "x" }] } });
    fs.writeFileSync(file, JSON.stringify({ triggers: { timeZone: "America/New_York" } }));
    const rt = h.open({ configFile: file });
    expect(rt.triggers.list()[0]).toMatchObject({ timeZone: "America/New_York" });
    expect(rt.triggers.list()[0]!.nextRun).toMatch(/T0[45]:00:00\.000Z$/);
  });
});
