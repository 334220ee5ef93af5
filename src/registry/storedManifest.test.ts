import { describe, expect, it } from "vitest";
import { decodeStoredManifest } from "./storedManifest.js";
import { validatePackageManifest } from "./validateManifest.js";

// Manifests the schema accepts, written as a row stores them (JSON of the chipset field).
const accepted = [
  { kind: "media", activation: { onEvent: ["media.imported"] }, restart: { policy: "transient" } },
  {
    kind: "player",
    description: "plays",
    keywords: ["video"],
    requires: { codec: "^1.0.0" },
    optional: { gpu: "^2.0.0" },
    provides: ["playback"],
    activation: "lazy",
    isolation: "process",
    singleton: true,
    configSchema: { type: "object" },
    limits: { memoryMb: 64 },
    permissions: { fsRead: ["./media"] },
    calls: { timeoutMs: 1000 },
    fallback: "other-player",
    timeouts: { start: 500 },
    idleUnloadMs: 1000,
  },
];

describe("decodeStoredManifest", () => {
  it("reads back every manifest the schema accepts", () => {
    for (const chipset of accepted) {
      validatePackageManifest({ name: "m", version: "1.0.0", chipset }, "package.json");
      expect(decodeStoredManifest(JSON.stringify(chipset))).toEqual(chipset);
    }
  });

  it("says what is wrong with a damaged manifest instead of throwing", () => {
    expect(decodeStoredManifest('{"kind": "x"')).toMatch(/^its manifest is not valid JSON/);
    expect(decodeStoredManifest("[1]")).toBe("its manifest is not a JSON object");
    expect(decodeStoredManifest('{"description": "no kind"}')).toBe('its manifest has no "kind"');
    expect(decodeStoredManifest('{"kind": "x", "requires": ["a"]}')).toBe(
      `its manifest's "requires" is not an object of strings`,
    );
  });
});
