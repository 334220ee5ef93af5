import { describe, expect, it } from "vitest";
import { ChipsetError, ErrorCodes, type ErrorCode } from "../errors/index.js";
import { selectVersions } from "./selectVersions.js";
import { type Selection, type SelectionRequest, type VersionCatalog } from "./Selection.js";
import { parseModuleRef } from "../vocabulary/moduleRef.js";

type Deps = { requires?: Record<string, string>; optional?: Record<string, string> };
type Spec = Record<string, Record<string, Deps>>;

function catalog(spec: Spec): VersionCatalog {
  return {
    versions: (id) => Object.keys(spec[id] ?? {}),
    manifest: (id, version) => {
      const deps = spec[id]?.[version];
      if (deps === undefined) throw new Error(`the test catalog has no ${id}@${version}`);
      return deps;
    },
  };
}

/** The selection with one version per id, as ids (these cases never need versions side by side). */
function select(spec: Spec, roots: Array<string | SelectionRequest>, pinned?: Record<string, string>) {
  const requests = roots.map((root) => (typeof root === "string" ? { id: root } : root));
  const selection = selectVersions(
    requests,
    catalog(spec),
    pinned === undefined ? {} : { pinned: new Map(Object.entries(pinned)) },
  );
  return byId(selection);
}

function byId(selection: Selection) {
  const id = (key: string) => parseModuleRef(key).id;
  const selected = new Map<string, string>();
  for (const [name, versions] of selection.selected) {
    expect(versions).toHaveLength(1);
    selected.set(name, versions[0]!);
  }
  return {
    selected,
    edges: selection.edges.map((e) => ({ from: id(e.from), to: id(e.to), optional: e.optional })),
    skippedOptional: selection.skippedOptional.map((s) => ({ ...s, from: id(s.from) })),
  };
}

function failure(code: ErrorCode, run: () => unknown): ChipsetError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ChipsetError);
    expect((err as ChipsetError).code).toBe(code);
    return err as ChipsetError;
  }
  throw new Error(`expected ${code}`);
}

describe("selectVersions", () => {
  it("chooses the highest installed version that satisfies the request", () => {
    const spec = { lib: { "1.0.0": {}, "1.4.2": {}, "2.0.0": {}, "1.10.0": {} } };
    expect(select(spec, ["lib"]).selected).toEqual(new Map([["lib", "2.0.0"]]));
    expect(select(spec, [{ id: "lib", range: "^1.0.0" }]).selected).toEqual(new Map([["lib", "1.10.0"]]));
    expect(select(spec, [{ id: "lib", range: "1.4.2" }]).selected).toEqual(new Map([["lib", "1.4.2"]]));
  });

  it("takes a prerelease only when a range names one", () => {
    const spec = { lib: { "1.0.0": {}, "2.0.0-beta.1": {} } };
    expect(select(spec, ["lib"]).selected.get("lib")).toBe("1.0.0");
    expect(select(spec, [{ id: "lib", range: "^2.0.0-beta.0" }]).selected.get("lib")).toBe("2.0.0-beta.1");
  });

  it("selects transitive dependencies and lists the edges between them", () => {
    const spec = {
      app: { "1.0.0": { requires: { ui: "^1.0.0", log: "*" } } },
      ui: { "1.0.0": { requires: { log: "^2.0.0" } }, "1.1.0": { requires: { log: "^2.0.0" } } },
      log: { "1.0.0": {}, "2.0.0": {}, "2.5.0": {} },
      unrelated: { "1.0.0": {} },
    };
    const selection = select(spec, ["app"]);
    expect(selection.selected).toEqual(
      new Map([
        ["app", "1.0.0"],
        ["ui", "1.1.0"],
        ["log", "2.5.0"],
      ]),
    );
    expect(selection.edges).toEqual([
      { from: "app", to: "ui", optional: false },
      { from: "app", to: "log", optional: false },
      { from: "ui", to: "log", optional: false },
    ]);
    expect(selection.skippedOptional).toEqual([]);
  });

  it("chooses a lower version of a module when another selected module constrains it", () => {
    const spec = {
      app: { "1.0.0": { requires: { lib: "*", util: "*" } } },
      util: { "1.0.0": { requires: { lib: "<2.0.0" } } },
      lib: { "1.0.0": {}, "1.5.0": {}, "2.0.0": {} },
    };
    expect(select(spec, ["app"]).selected.get("lib")).toBe("1.5.0");
  });

  it("drops the requirements of a version that is no longer chosen", () => {
    // x@2 is tried first and pulls in z ^2 and w; y then forces x down to 1, which needs z ^1 and no w.
    const spec = {
      app: { "1.0.0": { requires: { x: "*", y: "*" } } },
      x: { "1.0.0": { requires: { z: "^1.0.0" } }, "2.0.0": { requires: { z: "^2.0.0", w: "*" } } },
      y: { "1.0.0": { requires: { x: "^1.0.0" } } },
      z: { "1.0.0": {}, "2.0.0": {} },
      w: { "1.0.0": {} },
    };
    expect(select(spec, ["app"]).selected).toEqual(
      new Map([
        ["app", "1.0.0"],
        ["x", "1.0.0"],
        ["y", "1.0.0"],
        ["z", "1.0.0"],
      ]),
    );
  });

  it("does not fail on a missing dependency of a version that is not chosen in the end", () => {
    const spec = {
      app: { "1.0.0": { requires: { x: "*", y: "*" } } },
      x: { "1.0.0": {}, "2.0.0": { requires: { ghost: "^1.0.0" } } },
      y: { "1.0.0": { requires: { x: "^1.0.0" } } },
    };
    expect(select(spec, ["app"]).selected.get("x")).toBe("1.0.0");
  });

  it("selects modules that require each other", () => {
    const spec = {
      a: { "1.0.0": { requires: { b: "^1.0.0" } } },
      b: { "1.0.0": { requires: { a: "^1.0.0" } } },
    };
    const selection = select(spec, ["a"]);
    expect(selection.selected).toEqual(
      new Map([
        ["a", "1.0.0"],
        ["b", "1.0.0"],
      ]),
    );
    expect(selection.edges).toEqual([
      { from: "a", to: "b", optional: false },
      { from: "b", to: "a", optional: false },
    ]);
  });

  it("names every requiring module, its range and the installed versions in a version conflict", () => {
    const spec = {
      "video-player": { "1.4.0": { requires: { "file-io": "^2.1.0" } } },
      "audio-player": { "3.0.1": { requires: { "file-io": ">=2.5.0" } } },
      "file-io": { "1.0.0": {}, "2.1.0": {}, "2.2.0": {}, "3.0.0": {} },
    };
    const err = failure(ErrorCodes.VERSION_CONFLICT, () =>
      select(spec, ["video-player", "audio-player", { id: "file-io", range: "<3.0.0" }]),
    );
    // The smallest reason: video-player's range takes no part in it.
    expect(err.message).toContain("audio-player and file-io cannot run together");
    expect(err.message).toContain(
      "audio-player@3.0.1 (the only installed version of audio-player) requires file-io >=2.5.0.",
    );
    expect(err.message).toContain("the application asks for file-io <3.0.0.");
    expect(err.message).toContain(
      "file-io is a singleton, and no installed version satisfies <3.0.0 (from the application) and >=2.5.0 (from audio-player@3.0.1) together (installed: 3.0.0, 2.2.0, 2.1.0, 1.0.0).",
    );
    expect(err.message).toContain("install a version of file-io that satisfies <3.0.0 and >=2.5.0");
    expect(err.module).toBe("file-io");
    expect(err.details).toMatchObject({
      module: "file-io",
      modules: ["audio-player", "file-io"],
      constraints: [
        { from: "the application", range: "<3.0.0" },
        { from: "audio-player@3.0.1", range: ">=2.5.0" },
      ],
      installed: ["3.0.0", "2.2.0", "2.1.0", "1.0.0"],
    });
    expect((err.details["fixes"] as Array<{ kind: string }>).map((f) => f.kind)).toEqual([
      "side-by-side",
      "install",
    ]);
  });

  it("points at the two ranges that cannot both be met", () => {
    const spec = {
      a: { "1.0.0": { requires: { lib: "^2.0.0" } } },
      b: { "1.0.0": { requires: { lib: "^1.0.0" } } },
      lib: { "1.0.0": {}, "2.0.0": {} },
    };
    const err = failure(ErrorCodes.VERSION_CONFLICT, () => select(spec, ["a", "b"]));
    expect(err.message).toContain(
      "lib is a singleton, and no installed version satisfies ^2.0.0 (from a@1.0.0) and ^1.0.0 (from b@1.0.0) together",
    );
    expect(err.message).toContain("So a and b cannot run together.");
  });

  it("reports a requested range that no installed version satisfies as a conflict", () => {
    const err = failure(ErrorCodes.VERSION_CONFLICT, () =>
      select({ lib: { "1.0.0": {} } }, [{ id: "lib", range: "^2.0.0" }]),
    );
    expect(err.message).toContain(
      "No installed version of lib satisfies ^2.0.0 (from the application; installed: 1.0.0).",
    );
    expect(err.details["fixes"]).toEqual([
      expect.objectContaining({ kind: "install", id: "lib", version: "^2.0.0" }),
      expect.objectContaining({ kind: "version", id: "lib", version: "1.0.0" }),
    ]);
  });

  it("reports a hard dependency on a module that is not installed, naming who requires it", () => {
    const spec = {
      app: { "1.0.0": { requires: { db: "*" } } },
      db: { "2.1.0": { requires: { "sql-driver": "^4.0.0" } } },
    };
    const err = failure(ErrorCodes.DEPENDENCY_MISSING, () => select(spec, ["app"]));
    expect(err.message).toContain("'sql-driver' is not installed");
    expect(err.message).toContain("'db@2.1.0' requires it (^4.0.0)");
    expect(err.message).toContain("chipset add <dir>");
    expect(err.message).toContain("sql-driver is not installed.");
    expect(err.details).toMatchObject({
      module: "sql-driver",
      constraints: [{ from: "db@2.1.0", range: "^4.0.0" }],
      modules: ["app"],
    });
  });

  it("reports a requested module that is not registered", () => {
    const err = failure(ErrorCodes.MODULE_NOT_FOUND, () => select({ lib: { "1.0.0": {} } }, ["nope"]));
    expect(err.message).toContain("'nope'");
    expect(err.module).toBe("nope");
  });

  it("skips an optional dependency that is not installed", () => {
    const spec = { app: { "1.0.0": { optional: { gpu: "^1.0.0" } } } };
    const selection = select(spec, ["app"]);
    expect(selection.selected).toEqual(new Map([["app", "1.0.0"]]));
    expect(selection.edges).toEqual([]);
    expect(selection.skippedOptional).toEqual([
      { from: "app", id: "gpu", range: "^1.0.0", reason: "absent" },
    ]);
  });

  it("skips an optional dependency when no installed version is in its range", () => {
    const spec = { app: { "1.0.0": { optional: { gpu: "^2.0.0" } } }, gpu: { "1.0.0": {}, "3.0.0": {} } };
    const selection = select(spec, ["app"]);
    expect(selection.selected).toEqual(new Map([["app", "1.0.0"]]));
    expect(selection.skippedOptional).toEqual([
      { from: "app", id: "gpu", range: "^2.0.0", reason: "incompatible" },
    ]);
  });

  it("skips an optional dependency whose range excludes the version other modules require", () => {
    const spec = {
      app: { "1.0.0": { optional: { gpu: "^2.0.0" }, requires: { render: "*" } } },
      render: { "1.0.0": { requires: { gpu: "^1.0.0" } } },
      gpu: { "1.0.0": {}, "2.0.0": {} },
    };
    const selection = select(spec, ["app"]);
    expect(selection.selected.get("gpu")).toBe("1.0.0");
    expect(selection.edges).not.toContainEqual({ from: "app", to: "gpu", optional: true });
    expect(selection.skippedOptional).toEqual([
      { from: "app", id: "gpu", range: "^2.0.0", reason: "incompatible" },
    ]);
  });

  it("uses an optional dependency that fits, together with the other constraints on it", () => {
    const spec = {
      app: { "1.0.0": { optional: { gpu: "^1.0.0" }, requires: { render: "*" } } },
      render: { "1.0.0": { requires: { gpu: "*" } } },
      gpu: { "1.0.0": {}, "1.2.0": {}, "2.0.0": {} },
    };
    const selection = select(spec, ["app"]);
    expect(selection.selected.get("gpu")).toBe("1.2.0");
    expect(selection.edges).toContainEqual({ from: "app", to: "gpu", optional: true });
    expect(selection.skippedOptional).toEqual([]);
  });

  it("skips an optional dependency whose own requirements would make the resolution fail", () => {
    const spec = {
      app: { "1.0.0": { optional: { gpu: "*" }, requires: { lib: "^1.0.0" } } },
      gpu: { "1.0.0": { requires: { lib: "^2.0.0", ghost: "*" } } },
      lib: { "1.0.0": {}, "2.0.0": {} },
    };
    const selection = select(spec, ["app"]);
    expect(selection.selected).toEqual(
      new Map([
        ["app", "1.0.0"],
        ["lib", "1.0.0"],
      ]),
    );
    expect(selection.skippedOptional).toEqual([
      { from: "app", id: "gpu", range: "*", reason: "incompatible" },
    ]);
  });

  it("skips an optional dependency that drags in modules whose requirements conflict with the rest", () => {
    // e's optional c needs d, and d needs b 1.2.0 while e needs b ~2.3.0; d even narrows c below e's range.
    const spec = {
      b: { "1.2.0": { requires: { e: "*" } }, "2.3.0": { requires: { e: "*" } } },
      e: { "1.2.0": { requires: { b: "~2.3.0" }, optional: { c: "^2.0.0" } } },
      c: { "1.2.0": { requires: { d: "*" } }, "2.3.0": { requires: { d: "*" } } },
      d: { "1.2.0": { requires: { c: "^1.0.0", b: "1.2.0" } } },
    };
    const selection = select(spec, ["b"]);
    expect(selection.selected).toEqual(
      new Map([
        ["b", "2.3.0"],
        ["e", "1.2.0"],
      ]),
    );
    expect(selection.skippedOptional).toEqual([
      { from: "e", id: "c", range: "^2.0.0", reason: "incompatible" },
    ]);
  });

  it("keeps a pinned version even when a higher one is installed", () => {
    const spec = { app: { "1.0.0": { requires: { lib: "^1.0.0" } } }, lib: { "1.0.0": {}, "1.3.0": {} } };
    expect(select(spec, ["app"], { lib: "1.0.0" }).selected.get("lib")).toBe("1.0.0");
    expect(select(spec, ["app"], { other: "9.0.0" }).selected.has("other")).toBe(false);
  });

  it("reports a conflict when a pinned running version does not satisfy a requirement", () => {
    const spec = { app: { "2.0.0": { requires: { lib: "^2.0.0" } } }, lib: { "1.0.0": {}, "2.0.0": {} } };
    const err = failure(ErrorCodes.VERSION_CONFLICT, () => select(spec, ["app"], { lib: "1.0.0" }));
    expect(err.message).toContain(
      "lib is running as 1.0.0, and a singleton keeps its version until it is updated, but not every range accepts 1.0.0: ^2.0.0 (from app@2.0.0).",
    );
    expect(err.details).toMatchObject({
      module: "lib",
      constraints: [{ from: "app@2.0.0", range: "^2.0.0" }],
      installed: ["2.0.0", "1.0.0"],
    });
  });

  it("explains a conflict where each choice changes the requirements on the other", () => {
    const spec = {
      x: { "1.0.0": { requires: { y: "^2.0.0" } }, "2.0.0": { requires: { y: "^1.0.0" } } },
      y: { "1.0.0": { requires: { x: "^1.0.0" } }, "2.0.0": { requires: { x: "^2.0.0" } } },
    };
    const err = failure(ErrorCodes.VERSION_CONFLICT, () => select(spec, ["x", "y"]));
    for (const step of [
      "x@1.0.0 requires y ^2.0.0.",
      "x@2.0.0 requires y ^1.0.0.",
      "y@1.0.0 requires x ^1.0.0.",
      "y@2.0.0 requires x ^2.0.0.",
      "So x cannot run.",
    ])
      expect(err.message).toContain(step);
  });

  it("terminates and skips the optional dependency when choices through it go round in circles", () => {
    // Found by the property test: d drags c (a prerelease) into a conflict with "*", which drops
    // the chain that required d, which brings c back, and so on.
    const spec = {
      c: { "3.0.0-beta.1": { optional: { e: "*" } } },
      e: { "1.2.0": { requires: { b: "*" }, optional: { d: "*" } } },
      b: {
        "1.0.0": { requires: { c: "*", b: "^3.0.0-beta.0" } },
        "3.0.0-beta.1": { requires: { c: "*", b: "^3.0.0-beta.0" } },
      },
      d: { "2.3.0": { requires: { c: "*" } } },
    };
    const selection = select(spec, [{ id: "c", range: "^3.0.0-beta.0" }]);
    expect(selection.selected).toEqual(new Map([["c", "3.0.0-beta.1"]]));
    expect(selection.skippedOptional).toEqual([{ from: "c", id: "e", range: "*", reason: "incompatible" }]);
  });

  it("gives the same selection for the same input", () => {
    const spec = {
      app: { "1.0.0": { requires: { b: "*", a: "*" }, optional: { c: "*" } } },
      a: { "1.0.0": {} },
      b: { "1.0.0": { requires: { a: "^1.0.0" } } },
      c: { "1.0.0": {} },
    };
    const first = select(spec, ["app"]);
    expect([...first.selected.keys()]).toEqual(["app", "b", "a", "c"]);
    expect(select(spec, ["app"])).toEqual(first);
  });
});
