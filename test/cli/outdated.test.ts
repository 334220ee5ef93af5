import { writeFile } from "node:fs/promises";
import net, { type AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chipset, json, tempDir, writeModule } from "./harness.js";

let tmp: { dir: string; cleanup: () => Promise<void> };
let data: string;
let config: string;
let down: string;
const cli = (...args: string[]) => chipset(["--data-dir", data, "--config", config, ...args]);
const empty =
  'import { defineModule } from "chipset/module";\nexport const module = defineModule({ api: {} });\n';

/** A loopback port nothing listens on: a registry that is down. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  return port;
}

beforeAll(async () => {
  tmp = await tempDir("outdated");
  data = join(tmp.dir, "data");
  const modules = join(tmp.dir, "modules");
  for (const [name, version] of [
    ["lib", "1.0.0"],
    ["other", "1.0.0"],
  ] as const) {
    const dir = await writeModule(join(tmp.dir, "added"), {
      name,
      version,
      chipset: { kind: "t" },
      code: empty,
    });
    expect((await chipset(["--data-dir", data, "add", dir])).stderr).toBe("");
  }
  // Published after the add: a newer lib in the config's module directory, and a registry that is down.
  await writeModule(modules, {
    name: "lib",
    version: "1.2.0",
    chipset: { kind: "t" },
    code: empty,
  });
  down = `http://127.0.0.1:${await closedPort()}/`;
  config = join(tmp.dir, "chipset.config.json");
  await writeFile(config, JSON.stringify({ moduleDirs: ["./modules"], sources: [{ registry: down }] }));
});

afterAll(() => tmp.cleanup());

describe.concurrent("chipset outdated", () => {
  it("prints each module with a newer version as JSON, and says on stderr which source could not be read", async () => {
    const result = await cli("outdated", "--json");
    expect(result.code).toBe(0);
    expect(json(result)).toEqual([
      {
        id: "lib",
        current: "1.0.0",
        wanted: "1.2.0",
        latest: "1.2.0",
        source: join(tmp.dir, "modules", "lib"),
      },
    ]);
    expect(result.stderr).toContain(`could not look at ${down}lib for lib: CHIP_ERR_SOURCE_FAILED`);
    expect(result.stderr).toContain(`could not look at ${down}other for other: CHIP_ERR_SOURCE_FAILED`);
  });

  it("prints a table for people, and only the modules asked for", async () => {
    const result = await cli("outdated", "lib");
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n")[0]).toMatch(/^ID +CURRENT +WANTED +LATEST +SOURCE$/);
    expect(result.stdout).toMatch(/^lib +1\.0\.0 +1\.2\.0 +1\.2\.0 +\/.*modules\/lib$/m);
    const other = await cli("outdated", "other");
    expect(other.code).toBe(0);
    expect(other.stdout).toBe("every module is up to date, as far as the sources that answered tell\n");
  });

  it("installs nothing: the newer version is still only at its source", async () => {
    await cli("outdated");
    const ls = json<Array<{ id: string; version: string }>>(await cli("ls", "--json"));
    expect(ls.map((m) => `${m.id}@${m.version}`)).toEqual(["lib@1.0.0", "other@1.0.0"]);
  });

  it("refuses a module that is not installed, and an unknown option", async () => {
    const unknown = await cli("outdated", "nope", "--json");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^CHIP_ERR_MODULE_NOT_FOUND: module nope is not installed/);
    expect(json<{ error: { code: string } }>(unknown).error.code).toBe("CHIP_ERR_MODULE_NOT_FOUND");
    const usage = await cli("outdated", "--major");
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^CHIP_ERR_CLI_USAGE: unknown option '--major'/);
  });
});
