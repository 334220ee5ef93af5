import { describe, expect, it } from "vitest";
import { catalogKey, parseCatalogEntry, parseCatalogKey, type CatalogEntry } from "./catalogEntry.js";

const entry: CatalogEntry = {
  id: "@acme/video.player",
  version: "1.4.0-beta.1",
  integrity: "sha512-abc",
  digest: "f".repeat(64),
  object: "@acme/video.player@1.4.0-beta.1",
  manifest: { kind: "media" },
  addedBy: "a",
  at: 1,
};

describe("catalogue entries", () => {
  it("key an id and version as two NATS tokens that read back", () => {
    const key = catalogKey(entry.id, entry.version);
    expect(key).toBe("_40acme_2fvideo_2eplayer.1_2e4_2e0-beta_2e1");
    expect(parseCatalogKey(key)).toEqual({ id: entry.id, version: entry.version });
    expect(parseCatalogKey("not.a.chipset.key")).toBeUndefined();
  });

  it("read back as written, and say what is wrong with an entry another program wrote", () => {
    const key = catalogKey(entry.id, entry.version);
    expect(parseCatalogEntry(key, JSON.stringify(entry))).toEqual(entry);
    expect(parseCatalogEntry(key, "{")).toMatch(/is not JSON/);
    expect(parseCatalogEntry(key, JSON.stringify({ ...entry, integrity: 5 }))).toMatch(/has no integrity/);
    expect(parseCatalogEntry(catalogKey("other", "1.0.0"), JSON.stringify(entry))).toMatch(
      /names another version/,
    );
  });
});
