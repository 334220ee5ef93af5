import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digestTree } from "../../src/common/digestTree.js";
import { expectConsistent, openRegistry, tempDir, writeModule } from "./fixtures.js";

// The registry runs in a child process that is killed with SIGKILL at a random moment while it
// adds, replaces and removes modules; the next open must find a consistent registry every time.
// The child runs plain JavaScript transpiled from src/ (Node 20 cannot run TypeScript itself).

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const KILLS = 6;

const worker = `
import fs from "node:fs";
import { Database } from "./src/store/Database.js";
import { Registry } from "./src/registry/Registry.js";
import { systemClock } from "./src/common/Clock.js";
const [mode, dataDir, ...pairs] = process.argv.slice(2);
const sources = pairs.map((p) => { const i = p.indexOf("="); return { id: p.slice(0, i), dir: p.slice(i + 1) }; });
const db = Database.open(dataDir);
const registry = new Registry({ db, dataDir, clock: systemClock });
if (mode === "repair") for (const s of sources) registry.add(s.dir);
process.stdout.write("ready\\n");
for (let n = 0; ; n++) {
  const s = sources[Math.floor(Math.random() * sources.length)];
  if (mode === "repair") {
    // Damage the data directory, then recover and repair it, over and over.
    db.sql.prepare("DELETE FROM modules WHERE id = ?").run(s.id);
    db.sql.prepare("UPDATE modules SET manifest = '{' WHERE id <> ?").run(s.id);
    const foreign = dataDir + "/store/foreign/" + process.pid + "-" + n;
    fs.mkdirSync(foreign, { recursive: true });
    fs.writeFileSync(foreign + "/keep.txt", process.pid + "-" + n);
    registry.recover();
    registry.doctor.repair();
  } else if (Math.random() < 0.2 && registry.has(s.id)) registry.remove(s.id);
  else registry.add(s.dir);
}
`;

function transpile(build: string): void {
  for (const folder of ["vocabulary", "common", "errors", "store", "registry"]) {
    const from = path.join(repo, "src", folder);
    const to = path.join(build, "src", folder);
    fs.mkdirSync(to, { recursive: true });
    for (const name of fs.readdirSync(from)) {
      if (!name.endsWith(".ts") || name.endsWith(".test.ts")) continue;
      const out = ts.transpileModule(fs.readFileSync(path.join(from, name), "utf8"), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      });
      fs.writeFileSync(path.join(to, name.replace(/\.ts$/, ".js")), out.outputText);
    }
  }
  fs.symlinkSync(path.join(repo, "node_modules"), path.join(build, "node_modules"), "dir");
  fs.writeFileSync(path.join(build, "package.json"), JSON.stringify({ type: "module" }));
  fs.writeFileSync(path.join(build, "worker.mjs"), worker);
}

/** Runs the worker until it has started plus `delayMs`, then kills it with SIGKILL. */
async function runAndKill(build: string, args: string[], delayMs: number): Promise<void> {
  const child = spawn(process.execPath, [path.join(build, "worker.mjs"), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const ready = new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
  const outcome = await Promise.race([
    ready.then(() => "ready" as const),
    exited.then(() => "exited" as const),
  ]);
  if (outcome === "exited") throw new Error(`the worker exited before starting: ${stderr}`);
  await new Promise((resolve) => setTimeout(resolve, delayMs)); // the crash point, not a synchronisation
  child.kill("SIGKILL");
  await exited;
  if (stderr !== "") throw new Error(`the worker failed before it was killed: ${stderr}`);
}

describe("crash safety", () => {
  let root: string;
  let build: string;
  let dataDir: string;
  const variants = new Map<string, Set<string>>(); // id@version -> digests of its variants
  const pairs: string[] = [];

  beforeAll(() => {
    root = tempDir("chipset-crash-");
    build = path.join(root, "build");
    dataDir = path.join(root, "data");
    transpile(build);
    const big = "x".repeat(256 * 1024);
    const specs: Array<[string, string, string]> = [
      ["alpha", "1.0.0", "one"],
      ["alpha", "1.0.0", "two"],
      ["alpha", "2.0.0", "one"],
      ["@acme/beta", "1.0.0", "one"],
      ["@acme/beta", "1.0.0", "two"],
    ];
    for (const [name, version, variant] of specs) {
      const files: Record<string, string> = { "big.bin": `${variant}${big}` };
      for (let i = 0; i < 20; i++) files[`lib/f${i}.js`] = `export const v = "${variant}-${i}";\n`;
      const dir = writeModule(path.join(root, "src", `${name.replace("/", "_")}-${version}-${variant}`), {
        name,
        version,
        files,
      });
      const key = `${name}@${version}`;
      variants.set(key, (variants.get(key) ?? new Set()).add(digestTree(dir)));
      pairs.push(`${name}=${dir}`);
    }
  });

  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it(`leaves a consistent registry after ${KILLS} kills at random points of add, replace and remove`, async () => {
    for (let i = 0; i < KILLS; i++) {
      await runAndKill(build, ["churn", dataDir, ...pairs], 30 + Math.floor(Math.random() * 400));
      const { registry, close } = openRegistry(dataDir);
      try {
        expectConsistent(registry, dataDir);
        for (const record of registry.list()) {
          expect(
            variants.get(`${record.id}@${record.version}`)?.has(record.digest!),
            `${record.id}@${record.version}`,
          ).toBe(true);
        }
      } finally {
        close();
      }
    }
  });

  it(`loses no module and no foreign file after ${KILLS} kills at random points of recovery and doctor's repair`, async () => {
    const repairDir = path.join(root, "repair-data");
    /** The `pid-n` written in every foreign file still there, in the store or in quarantine. */
    const foreignFiles = (): string[] =>
      [path.join(repairDir, "store", "foreign"), path.join(repairDir, "quarantine")]
        .filter((dir) => fs.existsSync(dir))
        .flatMap((dir) => fs.readdirSync(dir).map((name) => path.join(dir, name, "keep.txt")))
        .filter((file) => fs.existsSync(file))
        .map((file) => fs.readFileSync(file, "utf8"));
    for (let i = 0; i < KILLS; i++) {
      await runAndKill(build, ["repair", repairDir, ...pairs], 30 + Math.floor(Math.random() * 400));
      const { registry, close } = openRegistry(repairDir);
      try {
        registry.doctor.repair();
        expect(
          registry
            .list()
            .map((r) => `${r.id}@${r.version}`)
            .sort(),
        ).toEqual(["@acme/beta@1.0.0", "alpha@1.0.0", "alpha@2.0.0"]);
        expectConsistent(registry, repairDir);
        // Every foreign file a worker wrote is still there, in the store or in quarantine: for each
        // worker, the files 0..last without a gap (the one it was writing when killed may be missing or empty).
        // A kill between creating a file and writing it leaves it empty: at most one per kill so far.
        const texts = foreignFiles();
        expect(texts.filter((text) => text === "").length).toBeLessThanOrEqual(i + 1);
        const byWorker = new Map<string, number[]>();
        for (const text of texts.filter((t) => t !== "")) {
          const [pid, n] = text.split("-");
          byWorker.set(pid!, [...(byWorker.get(pid!) ?? []), Number(n)]);
        }
        for (const [pid, numbers] of byWorker) {
          const sorted = numbers.sort((x, y) => x - y);
          expect(sorted, `worker ${pid}`).toEqual(sorted.map((_, k) => k));
        }
      } finally {
        close();
      }
    }
  });
});
