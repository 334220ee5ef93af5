import { describe, expect, it } from "vitest";
import { ErrorCodes } from "../errors/index.js";
import { pickUpdate, sortVersions } from "./pickUpdate.js";

const available = ["1.2.3", "1.2.4", "1.2.10", "1.3.0", "1.9.1", "2.0.0", "2.1.0-beta.1", "0.9.0", "junk"];

describe("pickUpdate", () => {
  it('picks nothing under "none", whatever is newer', () => {
    expect(pickUpdate("1.2.3", available, "none")).toBeUndefined();
  });

  it('"patch" takes the highest patch of the same minor version, as ~current allows', () => {
    expect(pickUpdate("1.2.3", available, "patch")).toBe("1.2.10");
    expect(pickUpdate("1.2.10", available, "patch")).toBeUndefined();
  });

  it('"minor" takes the highest version of the same major, as ^current allows, never a major step', () => {
    expect(pickUpdate("1.2.3", available, "minor")).toBe("1.9.1");
    expect(pickUpdate("2.0.0", available, "minor")).toBeUndefined();
  });

  it('"minor" on a 0.x version stays within its minor version, as npm treats 0.x minors as breaking', () => {
    expect(pickUpdate("0.2.1", ["0.2.5", "0.3.0"], "minor")).toBe("0.2.5");
  });

  it("a range picks its highest version newer than the current one", () => {
    expect(pickUpdate("1.2.3", available, "^2.0.0")).toBe("2.0.0");
    expect(pickUpdate("1.2.3", available, ">=1.3 <2")).toBe("1.9.1");
    expect(pickUpdate("1.9.1", available, "1.2.x")).toBeUndefined();
  });

  it("never picks a pre-release unless the range names one of the same version", () => {
    expect(pickUpdate("2.0.0", available, ">=2.0.0")).toBeUndefined();
    expect(pickUpdate("2.0.0", available, ">=2.1.0-beta.0")).toBe("2.1.0-beta.1");
  });

  it("refuses a current that is not a version, and a rule that is neither a policy nor a range", () => {
    expect(() => pickUpdate("latest", available, "minor")).toThrow(
      expect.objectContaining({ code: ErrorCodes.OPTIONS_INVALID }),
    );
    expect(() => pickUpdate("1.0.0", available, "major")).toThrow(
      /"none", "patch", "minor" or a semver range/,
    );
  });
});

describe("sortVersions", () => {
  it("orders by semver, not by text, and drops what is not a version", () => {
    expect(sortVersions(available)).toEqual([
      "0.9.0",
      "1.2.3",
      "1.2.4",
      "1.2.10",
      "1.3.0",
      "1.9.1",
      "2.0.0",
      "2.1.0-beta.1",
    ]);
  });
});
