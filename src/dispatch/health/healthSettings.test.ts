import { describe, expect, it } from "vitest";
import { ChipsetError } from "../../errors/ChipsetError.js";
import { healthDefaults, resolveHealthSettings } from "./healthSettings.js";

describe("resolveHealthSettings", () => {
  it("fills every setting left out with the documented default (Envoy's where it has one)", () => {
    expect(resolveHealthSettings()).toEqual({
      failureThreshold: 5,
      successThreshold: 3,
      degradedLatencyMs: undefined,
      degradedErrorRate: 0.2,
      degradedWeight: 0.5,
      intervalMs: 10_000,
      baseEjectionMs: 30_000,
      maxEjectionMs: 300_000,
      maxEjectedPercent: 10,
      successRateRequestVolume: 100,
      successRateMinimumHosts: 5,
      successRateStdevFactor: 1.9,
      panicThreshold: 50,
      memoryRiseSamples: 60,
    });
  });

  it("keeps what is given, and treats a setting given as undefined as left out", () => {
    const s = resolveHealthSettings({
      failureThreshold: 2,
      degradedLatencyMs: 150,
      panicThreshold: undefined,
    });
    expect(s).toMatchObject({ failureThreshold: 2, degradedLatencyMs: 150, panicThreshold: 50 });
    expect(healthDefaults.failureThreshold).toBe(5);
  });

  it("raises the longest ejection to the first when only the first is given above it, as Envoy does", () => {
    expect(resolveHealthSettings({ baseEjectionMs: 600_000 }).maxEjectionMs).toBe(600_000);
  });

  it("refuses a longest ejection given shorter than the first, naming the field", () => {
    let error: unknown;
    try {
      resolveHealthSettings({ baseEjectionMs: 60_000, maxEjectionMs: 30_000 });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ChipsetError);
    expect(error).toMatchObject({
      code: "CHIP_ERR_OPTIONS_INVALID",
      details: { field: "replicas.health.maxEjectionMs", found: 30_000 },
    });
    expect((error as Error).message).toContain("Raise maxEjectionMs or lower baseEjectionMs");
  });
});
