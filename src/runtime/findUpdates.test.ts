import { describe, expect, it } from "vitest";
import { summarize, type FoundVersion, type ModuleFindings } from "./findUpdates.js";

const registry: FoundVersion = { kind: "registry", location: "https://r.example/lib" };
const dir: FoundVersion = { kind: "directory", location: "/src/lib" };

function findings(current: string, installed: string[], found: Record<string, FoundVersion>): ModuleFindings {
  return { id: "lib", current, installed, found: new Map(Object.entries(found)) };
}

describe("summarize", () => {
  it("answers nothing when no version is newer than the current one", () => {
    expect(summarize(findings("1.2.0", ["1.2.0", "1.0.0"], {}), undefined)).toBeUndefined();
  });

  it("wants the highest within the current major and names where the latest is", () => {
    const row = summarize(
      findings("1.2.0", ["1.2.0"], { "1.3.0": dir, "1.4.1": registry, "2.0.0": registry }),
      undefined,
    );
    expect(row).toEqual({
      id: "lib",
      current: "1.2.0",
      wanted: "1.4.1",
      latest: "2.0.0",
      source: registry.location,
    });
  });

  it("treats a 0.x minor step as breaking, as ^ does", () => {
    const row = summarize(findings("0.3.1", ["0.3.1"], { "0.3.4": registry, "0.4.0": registry }), undefined);
    expect(row).toMatchObject({ wanted: "0.3.4", latest: "0.4.0" });
  });

  it("takes wanted from the application's use range, and keeps current when the range allows nothing newer", () => {
    const versions = { "1.5.0": registry, "2.1.0": registry, "3.0.0": registry };
    expect(summarize(findings("1.0.0", ["1.0.0"], versions), "^2")).toMatchObject({ wanted: "2.1.0" });
    expect(summarize(findings("1.0.0", ["1.0.0"], versions), "~1.0.0")).toMatchObject({ wanted: "1.0.0" });
  });

  it("counts an installed version newer than the running one, and leaves pre-releases out", () => {
    const row = summarize(findings("1.0.0", ["2.0.0", "1.0.0"], { "3.0.0-beta.1": registry }), undefined);
    expect(row).toEqual({
      id: "lib",
      current: "1.0.0",
      wanted: "1.0.0",
      latest: "2.0.0",
      source: "installed",
    });
  });
});
