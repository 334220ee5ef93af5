import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../src/common/Clock.js";
import { Registry } from "../../src/registry/Registry.js";
import { Database } from "../../src/store/Database.js";
import { chipset, collect, json, spawnCli, tempDir } from "./harness.js";
import { seededRandom as mulberry32 } from "../../src/chaos/faults.js";

const ID = "bulk";
const VERSION = "1.0.0";
const SMALL_FILES = 296;
const LARGE_FILES = 4;
const ITERATIONS = 20;

/** One content of bulk@1.0.0: relative path -> bytes (without the store's own marker file). */
type Tree = Map<string, Buffer>;

/** Writes variant `tag` of bulk@1.0.0 (same package.json, different files) and returns its tree. */
async function writeVariant(dir: string, tag: string): Promise<Tree> {
  const tree: Tree = new Map();
  const pkg = {
    name: ID,
    version: VERSION,
    type: "module",
    exports: "./index.js",
    chipset: { kind: "data" },
  };
  tree.set("package.json", Buffer.from(JSON.stringify(pkg)));
  tree.set(
    "index.js",
    Buffer.from(
      `import { defineModule } from "chipset/module";\nexport const module = defineModule({ api: { tag() { return "${tag}"; } } });\n`,
    ),
  );
  for (let i = 0; i < SMALL_FILES; i++)
    tree.set(`data/d${i % 10}/f${i}.txt`, Buffer.from(`${tag}:${i}:`.repeat(1 + (i % 50))));
  for (let i = 0; i < LARGE_FILES; i++) tree.set(`blobs/b${i}.bin`, Buffer.alloc(384 * 1024, `${tag}${i}`));
  if (tag === "B") tree.set("only-in-b.txt", Buffer.from("B"));
  for (const [rel, content] of tree) {
    await mkdir(join(dir, rel, ".."), { recursive: true });
    await writeFile(join(dir, rel), content);
  }
  return tree;
}

/** Every file under `dir` except the store's completion marker. */
function readTree(dir: string): Tree {
  const tree: Tree = new Map();
  const walk = (at: string): void => {
    for (const name of readdirSync(at)) {
      const abs = join(at, name);
      if (statSync(abs).isDirectory()) walk(abs);
      else if (!(at === dir && name === ".chipset-digest"))
        tree.set(relative(dir, abs).split(sep).join("/"), readFileSync(abs));
    }
  };
  walk(dir);
  return tree;
}

function sameTree(a: Tree, b: Tree): boolean {
  return a.size === b.size && [...a].every(([rel, content]) => b.get(rel)?.equals(content) === true);
}

let tmp: { dir: string; cleanup: () => Promise<void> };
const sources: Record<"A" | "B", string> = { A: "", B: "" };
const trees: Record<"A" | "B", Tree> = { A: new Map(), B: new Map() };

beforeAll(async () => {
  tmp = await tempDir("kill");
  for (const tag of ["A", "B"] as const) {
    sources[tag] = join(tmp.dir, `src-${tag}`);
    trees[tag] = await writeVariant(sources[tag], tag);
  }
});
afterAll(() => tmp.cleanup());

/**
 * Opens the registry in this process (its constructor runs crash recovery, as any next command
 * would) and returns which variant bulk@1.0.0 holds now, or "absent"; fails on any inconsistency.
 */
function inspect(data: string): "A" | "B" | "absent" {
  const db = Database.open(data);
  try {
    const registry = new Registry({ db, dataDir: data, clock: systemClock });
    expect(registry.verify()).toEqual([]);
    const staging = join(data, "store", ".staging");
    expect(existsSync(staging) ? readdirSync(staging) : []).toEqual([]);
    const record = registry.get(ID, VERSION);
    if (record === undefined) {
      expect(registry.list()).toEqual([]);
      return "absent";
    }
    expect(record.dir).toBe(join(data, "store", ID, VERSION));
    const installed = readTree(record.dir!);
    const matches = (["A", "B"] as const).filter((tag) => sameTree(installed, trees[tag]));
    expect(matches).toHaveLength(1);
    return matches[0]!;
  } finally {
    db.close();
  }
}

describe("a CLI add killed with SIGKILL at a random point", () => {
  it("leaves the module absent or complete as one of the added contents, and a later add succeeds", async () => {
    const data = join(tmp.dir, "data");
    // One uninterrupted add, process start to exit, sets the range of the kill delays.
    const started = performance.now();
    expect((await chipset(["--data-dir", join(tmp.dir, "measure"), "add", sources.A])).code).toBe(0);
    const duration = performance.now() - started;

    const random = mulberry32(0x5eed);
    let state: "A" | "B" | "absent" = "absent";
    let killed = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const tag = i % 2 === 0 ? "A" : "B";
      const delay = random() * duration;
      const child = spawnCli(["--data-dir", data, "add", sources[tag]]);
      const exited = collect(child);
      const timer = setTimeout(() => child.kill("SIGKILL"), delay);
      const result = await exited;
      clearTimeout(timer);
      if (result.signal === "SIGKILL") killed++;
      else expect(result, `iteration ${i} ran to completion`).toMatchObject({ code: 0, stderr: "" });

      const now = inspect(data);
      // Never anything but the content before this add or the content it was adding.
      expect(
        [state, tag],
        `iteration ${i} (delay ${Math.round(delay)} ms of ${Math.round(duration)})`,
      ).toContain(now);
      if (result.signal !== "SIGKILL") expect(now).toBe(tag);
      state = now;
    }
    expect(killed).toBeGreaterThanOrEqual(5);

    const final = state === "A" ? "B" : "A";
    const add = await chipset(["--data-dir", data, "add", sources[final], "--json"]);
    expect(add.code).toBe(0);
    expect(json(add)).toMatchObject({
      id: ID,
      version: VERSION,
      status: state === "absent" ? "added" : "replaced",
    });
    expect(inspect(data)).toBe(final);
    const info = json<{ dir: string }>(await chipset(["--data-dir", data, "info", ID, "--json"]));
    expect(sameTree(readTree(info.dir), trees[final])).toBe(true);
  }, 150_000); // ~20 s on a quiet 2-core machine; the margin is for a loaded one.
});
