import { execFileSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, readdirSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorCodes } from "../../src/errors/codes.js";
import {
  chipset,
  collect,
  json,
  spawnCli,
  tempDir,
  waitForOutput,
  writeModule,
  FREE_PORT,
} from "./harness.js";

// What the data directory holds is the operator's: a lost database, a foreign folder or one
// damaged row must never cost the installed modules, and looking must never change anything.

const plain = (name: string, chipsetField: Record<string, unknown> = { kind: "tool" }) => ({
  name,
  version: "1.0.0",
  chipset: chipsetField,
  code: `import { defineModule } from "chipset/module";\nexport const module = defineModule({ api: { name() { return "${name}"; } } });\n`,
});

let tmp: { dir: string; cleanup: () => Promise<void> };
let data: string;
let host: ChildProcess | undefined;

beforeEach(async () => {
  tmp = await tempDir("data-safety");
  data = join(tmp.dir, "data");
  const dirs = [
    await writeModule(join(tmp.dir, "src"), plain("alpha")),
    await writeModule(join(tmp.dir, "src"), plain("beta")),
  ];
  // One `add` of both: a CLI process costs about half a second of CPU, and every test starts here.
  const added = await chipset(["--data-dir", data, "add", ...dirs]);
  expect(added.code, added.stderr).toBe(0);
});
afterEach(async () => {
  if (host?.exitCode === null && host.signalCode === null) host.kill("SIGKILL");
  await tmp.cleanup();
});

/** Every file under `dir`, relative, sorted (what "nothing was touched" compares). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name).slice(dir.length + 1))
    .sort();
}

function ids(stdout: string): string[] {
  return (JSON.parse(stdout) as Array<{ id: string }>).map((m) => m.id);
}

describe("the data directory is never lost or touched by looking", () => {
  it("after chipset.db is deleted, ls deletes nothing and says so, and doctor --repair registers every copy again", async () => {
    rmSync(join(data, "chipset.db"));
    const store = filesUnder(join(data, "store"));

    const ls = await chipset(["--data-dir", data, "ls", "--json"]);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ids(ls.stdout)).toEqual([]);
    expect(ls.stderr).toMatch(
      /needs repair \(to register again from the store: alpha@1\.0\.0, beta@1\.0\.0\).*chipset doctor --repair/,
    );
    expect(filesUnder(join(data, "store"))).toEqual(store);
    expect(existsSync(join(data, "chipset.db"))).toBe(false); // looking wrote nothing

    const doctor = await chipset(["--data-dir", data, "doctor"]);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/problems found: run `chipset doctor --repair`/);

    const repair = await chipset(["--data-dir", data, "doctor", "--repair"]);
    expect(repair.code, repair.stdout + repair.stderr).toBe(0);
    expect(repair.stdout).toMatch(/registered again from the store alpha@1\.0\.0, beta@1\.0\.0/);
    const after = await chipset(["--data-dir", data, "ls", "--json"]);
    expect(ids(after.stdout)).toEqual(["alpha", "beta"]);
    expect(after.stderr).toBe("");
    const call = await chipset(["--data-dir", data, "call", "beta", "name", "--json"]);
    expect(json(call)).toEqual({ result: "beta" });
  });

  it("quarantines a folder it did not write instead of deleting it, and only when repairing", async () => {
    const foreign = join(data, "store", "modules", "cart");
    mkdirSync(foreign, { recursive: true });
    writeFileSync(join(foreign, "index.js"), "export const cart = [];\n");

    const ls = await chipset(["--data-dir", data, "ls"]);
    expect(ls.code).toBe(0);
    expect(ls.stderr).toMatch(/to quarantine: .*modules[/\\]cart \(it has no Chipset marker naming it\)/);
    expect(readFileSync(join(foreign, "index.js"), "utf8")).toBe("export const cart = [];\n");

    const repair = await chipset(["--data-dir", data, "doctor", "--repair", "--json"]);
    const report = json<{
      healthy: boolean;
      recovery: { quarantined: Array<{ path: string; movedTo: string }> };
    }>(repair);
    expect(report.healthy).toBe(true);
    const [moved] = report.recovery.quarantined;
    expect(moved?.path).toBe(foreign);
    expect(existsSync(foreign)).toBe(false);
    expect(readFileSync(join(moved!.movedTo, "index.js"), "utf8")).toBe("export const cart = [];\n");
    expect(JSON.parse(readFileSync(`${moved!.movedTo}.json`, "utf8"))).toMatchObject({ from: foreign });
    const after = await chipset(["--data-dir", data, "ls", "--json"]);
    expect(ids(after.stdout)).toEqual(["alpha", "beta"]);
  });

  it("reports a damaged row by name, keeps the others working, and doctor --repair rebuilds it from the store", async () => {
    const db = new BetterSqlite3(join(data, "chipset.db"));
    db.prepare("UPDATE modules SET manifest = '{\"kind\": ' WHERE id = 'alpha'").run();
    db.prepare("UPDATE modules SET manifest = '{\"description\": \"no kind\"}' WHERE id = 'beta'").run();
    db.close();
    const dir = await writeModule(join(tmp.dir, "src"), plain("gamma"));
    expect((await chipset(["--data-dir", data, "add", dir])).code).toBe(0);

    const ls = await chipset(["--data-dir", data, "ls", "--json"]);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ids(ls.stdout)).toEqual(["gamma"]);
    expect(ls.stderr).toMatch(/registry row of alpha@1\.0\.0 is damaged \(its manifest is not valid JSON/);
    expect(ls.stderr).toMatch(/registry row of beta@1\.0\.0 is damaged \(its manifest has no "kind"\)/);

    const info = await chipset(["--data-dir", data, "info", "alpha@1.0.0", "--json"]);
    expect(info.code).toBe(1);
    expect(json<{ error: { code: string } }>(info).error.code).toBe(ErrorCodes.STORE_CORRUPT);
    expect(json(await chipset(["--data-dir", data, "call", "gamma", "name", "--json"]))).toEqual({
      result: "gamma",
    });

    const repair = await chipset(["--data-dir", data, "doctor", "--repair"]);
    expect(repair.code, repair.stdout).toBe(0);
    expect(repair.stdout).toMatch(/deleted damaged rows: alpha@1\.0\.0, beta@1\.0\.0/);
    expect(repair.stdout).toMatch(/registered again from the store alpha@1\.0\.0, beta@1\.0\.0/);
    const after = await chipset(["--data-dir", data, "ls", "--json"]);
    expect(ids(after.stdout)).toEqual(["alpha", "beta", "gamma"]);
  });

  it("refuses to remove a module a host in another process has loaded, and removes it once the host is gone", async () => {
    const eagerDir = await writeModule(join(tmp.dir, "src"), {
      ...plain("delta", { kind: "tool", activation: "eager" }),
    });
    const added = await chipset(["--data-dir", data, "add", eagerDir]);
    expect(added.code, added.stderr).toBe(0);
    host = spawnCli(["--data-dir", data, "start", ...FREE_PORT], { cwd: tmp.dir });
    const running = collect(host);
    await waitForOutput(host, /chipset is running/);
    const files = filesUnder(join(data, "store", "delta"));

    const refused = await chipset(["--data-dir", data, "remove", "delta", "--json"]);
    expect(refused.code).toBe(1);
    const error = json<{ error: { code: string; message: string } }>(refused).error;
    expect(error.code).toBe(ErrorCodes.MODULE_IN_USE);
    expect(error.message).toContain(`delta@1.0.0 by process ${host.pid}`);
    expect(filesUnder(join(data, "store", "delta"))).toEqual(files);
    const other = await chipset(["--data-dir", data, "remove", "alpha"]); // not loaded there
    expect(other.code, other.stderr).toBe(0);

    host.kill("SIGINT");
    const stopped = await running;
    expect(stopped.code, stopped.stdout + stopped.stderr).toBe(0);
    host = undefined;
    const removed = await chipset(["--data-dir", data, "remove", "delta"]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(existsSync(join(data, "store", "delta"))).toBe(false);
  });

  it("lists and describes modules from a data directory on a read-only file system", async () => {
    if (process.getuid?.() !== 0) {
      // Without root a bind mount is not possible; a directory without write permission is.
      execFileSync("chmod", ["-R", "a-w", data]);
    } else {
      execFileSync("mount", ["--bind", data, data]);
      execFileSync("mount", ["-o", "remount,ro,bind", data]);
    }
    try {
      const ls = await chipset(["--data-dir", data, "ls", "--json"]);
      expect(ls.code, ls.stderr).toBe(0);
      expect(ids(ls.stdout)).toEqual(["alpha", "beta"]);
      expect(ls.stderr).toBe("");
      const info = await chipset(["--data-dir", data, "info", "beta", "--json"]);
      expect(info.code, info.stderr).toBe(0);
      expect(json<{ id: string }>(info).id).toBe("beta");
      const add = await chipset(["--data-dir", data, "add", join(tmp.dir, "src", "alpha"), "--json"]);
      expect(json<{ error: { code: string } }>(add).error.code).toBe(ErrorCodes.STORE_FAILED);
    } finally {
      if (process.getuid?.() !== 0) execFileSync("chmod", ["-R", "u+w", data]);
      else execFileSync("umount", [data]);
    }
  });
});
