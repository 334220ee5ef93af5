import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import { CONFIG_FILE_NAME, loadConfigFile } from "./ConfigFile.js";
import { validatePackageManifest } from "./validateManifest.js";

const FILE = "/mods/video-player/package.json";

function manifest(placement: unknown): Record<string, unknown> {
  return {
    name: "video-player",
    version: "1.4.0",
    chipset: { kind: "media", isolation: "worker", placement },
  };
}

function refusal(run: () => unknown): ChipsetError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ChipsetError);
    return err as ChipsetError;
  }
  throw new Error("it was accepted");
}

describe("the manifest's placement", () => {
  it("accepts node affinity and spread, and keeps them", () => {
    const placement = { nodes: { zone: ["a", "b"], disk: ["ssd"] }, spread: true };
    expect(validatePackageManifest(manifest(placement), FILE).chipset.placement).toEqual(placement);
  });

  it("accepts an empty placement (any node, replicas together) and no placement at all", () => {
    expect(validatePackageManifest(manifest({}), FILE).chipset.placement).toEqual({});
    const none = { name: "video-player", version: "1.4.0", chipset: { kind: "media" } };
    expect(validatePackageManifest(none, FILE).chipset.placement).toBeUndefined();
  });

  it.each<[string, unknown, string, string]>([
    ["a misspelt field", { node: { zone: ["a"] } }, "chipset.placement.node", 'did you mean "nodes"'],
    [
      "label values given as a string",
      { nodes: { zone: "a" } },
      "chipset.placement.nodes.zone",
      'expected a non-empty array of the label values a node may have, such as ["a", "b"]',
    ],
    ["an empty list of values", { nodes: { zone: [] } }, "chipset.placement.nodes.zone", "non-empty array"],
    [
      "a label value with a dot",
      { nodes: { zone: ["eu.west"] } },
      "chipset.placement.nodes.zone.0",
      'a label value such as "a": letters, digits, _ and -',
    ],
    [
      "a label name with a space",
      { nodes: { "data center": ["x"] } },
      "chipset.placement.nodes.data center",
      'a label name such as "zone"',
    ],
    [
      "spread as a string",
      { spread: "yes" },
      "chipset.placement.spread",
      "true (each replica on a different node while there are enough) or false",
    ],
    [
      "placement that is a list",
      ["zone=a"],
      "chipset.placement",
      '{ "nodes": { "zone": ["a", "b"] }, "spread": true }',
    ],
  ])("rejects %s with CHIP_ERR_MANIFEST_INVALID naming the field", (_label, placement, field, expected) => {
    const err = refusal(() => validatePackageManifest(manifest(placement), FILE));
    expect(err.code).toBe(ErrorCodes.MANIFEST_INVALID);
    expect(err.details.field).toBe(field);
    expect(err.message).toContain(`"${field}"`);
    expect(err.message).toContain(expected);
  });
});

describe("the config file's placement", () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "chipset-placement-"));
    file = path.join(dir, CONFIG_FILE_NAME);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const load = (content: unknown) => {
    fs.writeFileSync(file, JSON.stringify(content));
    return loadConfigFile(file);
  };

  it("reads each module's placement by id, and is {} when the file has none", () => {
    const placement = { "video-player": { nodes: { zone: ["b"] } }, "@acme/codec": { spread: true } };
    expect(load({ placement }).placement).toEqual(placement);
    expect(load({}).placement).toEqual({});
  });

  it.each<[string, unknown, string]>([
    ["a module id that is not a package name", { "Video Player": {} }, "placement.Video Player"],
    ["an unknown field", { "video-player": { spreadOut: true } }, "placement.video-player.spreadOut"],
    [
      "label values given as a string",
      { "video-player": { nodes: { zone: "b" } } },
      "placement.video-player.nodes.zone",
    ],
  ])("rejects %s with CHIP_ERR_OPTIONS_INVALID naming the file and the field", (_label, placement, field) => {
    const err = refusal(() => load({ placement }));
    expect(err.code).toBe(ErrorCodes.OPTIONS_INVALID);
    expect(err.message).toContain(file);
    expect(err.details.field).toBe(field);
    expect(err.message).toContain(`"${field}"`);
  });
});
