import fs from "node:fs";
import net, { type AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChipsetError, ErrorCodes, type Runtime } from "../../src/index.js";
import { runtimeHarness } from "../support/runtimeHarness.js";
import { startVerdaccio, type VerdaccioRegistry } from "../support/verdaccio.js";
import { packModule, refusal } from "../updates/fixtures.js";
import { ed25519Key } from "../updates/signing.js";
import { counter } from "./counterModule.js";

const h = runtimeHarness();
let reg: VerdaccioRegistry;

beforeAll(async () => {
  reg = await startVerdaccio();
});
afterAll(async () => {
  await reg.stop();
});

/**
 * Publishes the counter module as `name` at each version with the real `npm publish`. Every
 * test publishes its own name: the registry lives for the whole file.
 */
async function publishCounter(name: string, ...versions: string[]): Promise<void> {
  for (const version of versions)
    await reg.publish(
      h.ws.module({ name, version, code: counter(), dirName: `published/${name}-${version}` }),
    );
}

/**
 * Writes `config` as the workspace's chipset.config.json and opens a runtime on it that knows
 * only `name@1.0.0`, installed from a local directory.
 */
function openV1(name: string, config: Record<string, unknown>): Runtime {
  const local = h.ws.module({ name, version: "1.0.0", code: counter() });
  const configFile = join(h.ws.root, "chipset.config.json");
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
  return h.open({ configFile, moduleDirs: [local] });
}

/** {@link openV1}, with `name@1.0.0` running and called once. */
async function runningV1(name: string, config: Record<string, unknown>): Promise<Runtime> {
  const rt = openV1(name, config);
  expect(await rt.call(name, "hit")).toEqual({ version: "1.0.0", count: 1 });
  return rt;
}

/** The `dist` of name@version as the registry serves it in the packument. */
async function servedDist(name: string, version: string): Promise<Record<string, unknown>> {
  const response = await fetch(new URL(name, reg.url));
  const packument = (await response.json()) as {
    versions: Record<string, { dist: Record<string, unknown> }>;
  };
  return packument.versions[version]!.dist;
}

/** The update's scratch directories left in the store (none once an update is over). */
function scratchLeft(): string[] {
  const dir = join(h.ws.dataDir, "store", ".staging");
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

/** A loopback port nothing listens on: a registry that is down. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  return port;
}

/** The keys of the loaded instances of `id`. */
function loaded(rt: Runtime, id: string): string[] {
  return rt
    .instances()
    .filter((i) => i.id === id)
    .map((i) => i.key);
}

describe("hot update from a registry", () => {
  it("updates a running module to the newest version a registry has, and the count goes on", async () => {
    const name = "counter-newest";
    await publishCounter(name, "1.0.0", "2.0.0");
    const rt = await runningV1(name, { sources: [{ registry: reg.url, token: reg.token }] });
    const seen = reg.requests.length;
    const report = await rt.update(name, { graceMs: 0 });
    // The update's own requests, each with the token of the config's source.
    expect(reg.requests.slice(seen).map((r) => [r.method, r.url, r.status, r.authorization])).toEqual([
      ["GET", `/${name}`, 200, `Bearer ${reg.token}`],
      ["GET", `/${name}/-/${name}-2.0.0.tgz`, 200, `Bearer ${reg.token}`],
    ]);
    expect(report).toMatchObject({
      from: "1.0.0",
      to: "2.0.0",
      outcome: "completed",
      stateMigrated: true,
      source: { kind: "registry", location: `${reg.url}${name}/-/${name}-2.0.0.tgz` },
    });
    expect(report.steps.map((s) => s.step)).toEqual([
      "resolve",
      "fetch",
      "install",
      "start",
      "verify",
      "switch",
      "grace",
      "retire",
    ]);
    expect(report.integrity).toBe((await servedDist(name, "2.0.0"))["integrity"]);
    expect(await rt.call(name, "hit")).toEqual({ version: "2.0.0", count: 2 });
    expect(rt.queries.info(name).versions).toEqual(["2.0.0", "1.0.0"]);
    expect(loaded(rt, name)).toEqual([`${name}@2.0.0`]);
    expect(scratchLeft()).toEqual([]);
  });

  it("updates to the highest version within a range", async () => {
    const name = "counter-range";
    await publishCounter(name, "1.0.0", "2.0.0", "2.0.1", "2.1.0");
    const rt = await runningV1(name, { sources: [{ registry: reg.url }] });
    const report = await rt.update(name, { version: "~2.0.0", graceMs: 0 });
    expect(report).toMatchObject({ from: "1.0.0", to: "2.0.1", outcome: "completed" });
    expect(await rt.call(name, "hit")).toEqual({ version: "2.0.1", count: 2 });
    expect(rt.queries.info(name).versions).toEqual(["2.0.1", "1.0.0"]);
  });

  it("does not go back to an older version when the registry's latest tag points below the running one", async () => {
    const name = "counter-retagged";
    await publishCounter(name, "1.0.0", "2.0.0");
    const rt = await runningV1(name, { sources: [{ registry: reg.url }] });
    expect(await rt.update(name, { graceMs: 0 })).toMatchObject({ to: "2.0.0", outcome: "completed" });
    // The publisher moves "latest" back (npm dist-tag add counter-retagged@1.0.0 latest).
    reg.editPackument(name, (packument) => {
      packument["dist-tags"] = { latest: "1.0.0" };
    });

    const report = await rt.update(name, { graceMs: 0 });
    expect(report).toMatchObject({ from: "2.0.0", to: "2.0.0", outcome: "unchanged" });
    expect(await rt.call(name, "hit")).toEqual({ version: "2.0.0", count: 2 });
    expect(loaded(rt, name)).toEqual([`${name}@2.0.0`]);
  });

  it("installs the registry's newest version of a module that is not loaded, for its next use", async () => {
    const name = "counter-idle";
    await publishCounter(name, "1.0.0", "2.0.0");
    const rt = openV1(name, { sources: [{ registry: reg.url }] });

    const report = await rt.update(name);
    expect(report).toMatchObject({ from: null, to: "2.0.0", outcome: "installed" });
    expect(report.source?.kind).toBe("registry");
    expect(rt.queries.info(name).versions).toEqual(["2.0.0", "1.0.0"]);
    expect(await rt.call(name, "hit")).toEqual({ version: "2.0.0", count: 1 });
  });

  it("refuses a registry tarball altered after publishing; the old version keeps serving and nothing is installed", async () => {
    const name = "counter-altered";
    await publishCounter(name, "1.0.0", "2.0.0");
    // A valid package of the same name and version with other code: only the integrity tells.
    const evil = h.ws.module({
      name,
      version: "2.0.0",
      code: 'export const module = defineModule({ api: { hit() { return "stolen"; } } });',
      dirName: "evil",
    });
    await packModule(evil, reg.tarballPath(name, "2.0.0"));
    const rt = await runningV1(name, { sources: [{ registry: reg.url }] });
    const failed: string[] = [];
    rt.on("update.failed", (e) => failed.push(`${e.step} ${e.error.code}`));

    const err = await refusal(rt.update(name, { graceMs: 0 }));
    expect(err.code).toBe(ErrorCodes.INTEGRITY_MISMATCH);
    expect(err.details).toMatchObject({
      expected: (await servedDist(name, "2.0.0"))["integrity"],
      from: "registry",
      source: `${reg.url}${name}/-/${name}-2.0.0.tgz`,
      report: { id: name, from: "1.0.0", to: null, outcome: "failed" },
    });
    expect(failed).toEqual(["fetch CHIP_ERR_INTEGRITY_MISMATCH"]);
    expect(rt.queries.info(name).versions).toEqual(["1.0.0"]);
    expect(await rt.call(name, "hit")).toEqual({ version: "1.0.0", count: 2 });
    expect(loaded(rt, name)).toEqual([`${name}@1.0.0`]);
    expect(scratchLeft()).toEqual([]);
  });

  it("refuses an unsigned package when the config requires signatures", async () => {
    const name = "counter-unsigned";
    await publishCounter(name, "1.0.0", "2.0.0");
    const key = ed25519Key("release-2026");
    const rt = await runningV1(name, {
      sources: [{ registry: reg.url }],
      trust: { keys: [key.config], require: true },
    });

    const err = await refusal(rt.update(name, { graceMs: 0 }));
    // Wrapped, unlike an integrity mismatch: updateFailed throws only that one as itself.
    expect(err.code).toBe(ErrorCodes.UPDATE_FAILED);
    expect(err.details).toMatchObject({ step: "fetch", code: ErrorCodes.SIGNATURE_INVALID });
    expect(err.cause).toBeInstanceOf(ChipsetError);
    expect((err.cause as ChipsetError).code).toBe(ErrorCodes.SIGNATURE_INVALID);
    expect((err.cause as ChipsetError).details).toMatchObject({
      package: `${name}@2.0.0`,
      reason: "missing",
    });
    expect(err.message).toContain(`${name}@1.0.0 serves as before`);
    // Refused from the packument: the tarball was never downloaded.
    expect(reg.requests.filter((r) => r.url.endsWith(".tgz") && r.url.startsWith(`/${name}/`))).toEqual([]);
    expect(rt.queries.info(name).versions).toEqual(["1.0.0"]);
    expect(await rt.call(name, "hit")).toEqual({ version: "1.0.0", count: 2 });
    expect(scratchLeft()).toEqual([]);
  });

  it("accepts a package signed by a trusted key", async () => {
    const name = "counter-signed";
    await publishCounter(name, "1.0.0", "2.0.0");
    const key = ed25519Key("release-2026");
    reg.editPackument(name, (packument) => {
      const dist = packument.versions["2.0.0"]!.dist;
      dist["signatures"] = [key.sign(name, "2.0.0", dist.integrity)];
    });
    const rt = await runningV1(name, {
      sources: [{ registry: reg.url }],
      trust: { keys: [key.config], require: true },
    });

    const report = await rt.update(name, { graceMs: 0 });
    expect(report).toMatchObject({ from: "1.0.0", to: "2.0.0", outcome: "completed", stateMigrated: true });
    expect(report.integrity).toBe((await servedDist(name, "2.0.0"))["integrity"]);
    expect(await rt.call(name, "hit")).toEqual({ version: "2.0.0", count: 2 });
    expect(rt.queries.info(name).versions).toEqual(["2.0.0", "1.0.0"]);
  });

  it("a source that is down fails the update with CHIP_ERR_UPDATE_FAILED caused by CHIP_ERR_SOURCE_FAILED, and the old version serves", async () => {
    const name = "counter-unreachable";
    const down = `http://127.0.0.1:${await closedPort()}/`;
    const rt = await runningV1(name, { sources: [{ registry: down }] });

    const err = await refusal(rt.update(name, { graceMs: 0 }));
    expect(err.code).toBe(ErrorCodes.UPDATE_FAILED);
    expect(err.details).toMatchObject({
      step: "fetch",
      code: ErrorCodes.SOURCE_FAILED,
      report: { from: "1.0.0", to: null, outcome: "failed" },
    });
    expect((err.cause as ChipsetError).code).toBe(ErrorCodes.SOURCE_FAILED);
    expect((err.cause as ChipsetError).details).toMatchObject({
      reason: "unreachable",
      status: "ECONNREFUSED",
      source: `${down}${name}`,
    });
    expect(await rt.call(name, "hit")).toEqual({ version: "1.0.0", count: 2 });
    expect(rt.queries.info(name).versions).toEqual(["1.0.0"]);
    expect(loaded(rt, name)).toEqual([`${name}@1.0.0`]);
    expect(scratchLeft()).toEqual([]);
  });
});
