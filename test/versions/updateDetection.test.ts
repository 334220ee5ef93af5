import fs from "node:fs";
import net, { type AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/common/Clock.js";
import { ChipsetError, ErrorCodes, type Runtime, type RuntimeEvents } from "../../src/index.js";
import { runtimeHarness } from "../support/runtimeHarness.js";
import { startVerdaccio, type VerdaccioRegistry } from "../support/verdaccio.js";
import { packModule } from "../updates/fixtures.js";
import { counter } from "./counterModule.js";

const h = runtimeHarness();
let reg: VerdaccioRegistry;
const INTERVAL = 60_000;

beforeAll(async () => {
  reg = await startVerdaccio();
});
afterAll(async () => {
  await reg.stop();
});

/** Publishes the counter module as `name` at each version with the real `npm publish`. */
async function publishCounter(name: string, ...versions: string[]): Promise<void> {
  for (const version of versions)
    await reg.publish(
      h.ws.module({ name, version, code: counter(), dirName: `published/${name}-${version}` }),
    );
}

/**
 * Writes `config` as the workspace's chipset.config.json and opens a runtime on it, on `clock`,
 * that knows `name@1.0.0` from the module directory `<modules>/<name>-1.0.0` (its source, returned).
 */
function open(
  name: string,
  config: Record<string, unknown>,
  clock = new ManualClock(),
): { rt: Runtime; clock: ManualClock; source: string } {
  const source = h.ws.module({ name, version: "1.0.0", code: counter() });
  const configFile = join(h.ws.root, "chipset.config.json");
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
  return { rt: h.open({ configFile, moduleDirs: [source], clock }), clock, source };
}

/** Every `name` event from now on, in order. */
function record<K extends keyof RuntimeEvents>(rt: Runtime, name: K): Array<RuntimeEvents[K]> {
  const seen: Array<RuntimeEvents[K]> = [];
  rt.on(name, (e) => seen.push(e));
  return seen;
}

/** The next `name` event. */
function next<K extends keyof RuntimeEvents>(rt: Runtime, name: K): Promise<RuntimeEvents[K]> {
  return new Promise((resolve) => {
    const sub = rt.on(name, (e) => {
      sub.dispose();
      resolve(e);
    });
  });
}

/** Moves the clock one interval on and waits for the check it starts (automatic updates included). */
async function tick(rt: Runtime, clock: ManualClock): Promise<RuntimeEvents["update.checked"]> {
  const checked = next(rt, "update.checked");
  clock.advance(INTERVAL);
  return checked;
}

/** A loopback port nothing listens on: a registry that is down. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  return port;
}

/**
 * The statuses the registry answered the runtime's requests for the packument of `name` with, in
 * order: those without a token (`npm publish` reads the packument too, with the token).
 */
function packumentStatuses(name: string): number[] {
  return reg.requests
    .filter((r) => r.method === "GET" && r.url === `/${name}` && r.authorization === undefined)
    .map((r) => r.status);
}

describe("detecting new versions", () => {
  it("announces a version a registry publishes once, and revalidates the packument with its ETag", async () => {
    const name = "counter-announced";
    await publishCounter(name, "1.0.0");
    const { rt, clock } = open(name, { sources: [{ registry: reg.url }], updates: { intervalMs: INTERVAL } });
    const available = record(rt, "update.available");
    await rt.start();

    expect(await tick(rt, clock)).toMatchObject({ outdated: [], failures: 0 });
    await publishCounter(name, "1.1.0");
    expect(await tick(rt, clock)).toMatchObject({ outdated: [name], failures: 0 });
    expect(await tick(rt, clock)).toMatchObject({ outdated: [name], failures: 0 });

    expect(available.map(({ durationMs: _, ...e }) => e)).toEqual([
      { id: name, from: "1.0.0", to: "1.1.0", source: `${reg.url}${name}` },
    ]);
    // Unchanged since the second check: the third cost the registry a 304.
    expect(packumentStatuses(name)).toEqual([200, 200, 304]);
    // Detection installs nothing by itself.
    expect(rt.queries.info(name).versions).toEqual(["1.0.0"]);
    // Closing ends the watch: no timer is left, and time going on asks the registry nothing.
    await rt.close();
    expect(clock.pending).toBe(0);
    clock.advance(INTERVAL * 10);
    expect(packumentStatuses(name)).toEqual([200, 200, 304]);
  });

  it("finds a module directory's new version and a new directory beside it, and answers current, wanted and latest", async () => {
    const name = "counter-dirs";
    const { rt, source } = open(name, {});
    await rt.close();
    // The runtime watches the configured directories: here, the folder of module directories.
    const configFile = join(h.ws.root, "chipset.config.json");
    fs.writeFileSync(configFile, JSON.stringify({ moduleDirs: ["./modules"] }));
    const reopened = h.open({ configFile, moduleDirs: [] });
    const available = record(reopened, "update.available");
    // Its author bumps the version in place, and version 2 appears as a directory of its own.
    h.ws.module({ name, version: "1.0.1", code: counter(), dirName: `${name}-1.0.0` });
    const major = h.ws.module({ name, version: "2.0.0", code: counter() });

    const report = await reopened.checkUpdates();
    expect(report.failures).toEqual([]);
    expect(report.outdated).toEqual([
      { id: name, current: "1.0.0", wanted: "1.0.1", latest: "2.0.0", source: major },
    ]);
    expect(available.map((e) => [e.from, e.to, e.source])).toEqual([
      ["1.0.0", "1.0.1", source],
      ["1.0.0", "2.0.0", major],
    ]);
    // Asked again: the same answer, and nothing announced twice.
    expect((await reopened.checkUpdates()).outdated).toEqual(report.outdated);
    expect(available).toHaveLength(2);
  });

  it("takes wanted from the application's use range", async () => {
    const name = "counter-used";
    await publishCounter(name, "1.0.0", "1.4.0", "2.3.0", "3.0.0");
    const { rt } = open(name, { sources: [{ registry: reg.url }], use: { [name]: "^2" } });
    expect((await rt.checkUpdates({ ids: [name] })).outdated).toEqual([
      { id: name, current: "1.0.0", wanted: "2.3.0", latest: "3.0.0", source: `${reg.url}${name}` },
    ]);
  });

  it("refuses to check a module that is not installed", async () => {
    const { rt } = open("counter-known", {});
    const err = await rt.checkUpdates({ ids: ["counter-unknown"] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChipsetError);
    expect(err).toMatchObject({ code: ErrorCodes.MODULE_NOT_FOUND, module: "counter-unknown" });
  });

  it("a registry that is down does not stop the module directories from being checked, and is reported once", async () => {
    const name = "counter-down";
    const down = `http://127.0.0.1:${await closedPort()}/`;
    const { rt, clock, source } = open(name, {
      sources: [{ registry: down }],
      updates: { intervalMs: INTERVAL },
    });
    const available = record(rt, "update.available");
    const errors = record(rt, "runtime.error");
    h.ws.module({ name, version: "1.0.1", code: counter(), dirName: `${name}-1.0.0` });
    await rt.start();

    expect(await tick(rt, clock)).toMatchObject({ outdated: [name], failures: 1 });
    expect(await tick(rt, clock)).toMatchObject({ outdated: [name], failures: 1 });

    expect(available.map((e) => [e.to, e.source])).toEqual([["1.0.1", source]]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.context).toBe(`the update check of ${name} at ${down}${name}`);
    expect(errors[0]!.error).toMatchObject({
      code: ErrorCodes.SOURCE_FAILED,
      details: { reason: "unreachable" },
    });
    // The error monitor has it, as every background failure.
    expect(rt.errors.counts().byCode[ErrorCodes.SOURCE_FAILED]).toBe(1);
  });

  it("does not check by itself when updates.intervalMs is 0", async () => {
    const name = "counter-never";
    await publishCounter(name, "1.0.0", "1.0.1");
    const { rt, clock } = open(name, { sources: [{ registry: reg.url }], updates: { intervalMs: 0 } });
    const checked = record(rt, "update.checked");
    await rt.start();
    clock.advance(INTERVAL * 100);
    await rt.checkUpdates();
    // Only the check asked for ran.
    expect(checked).toHaveLength(1);
    expect(packumentStatuses(name)).toEqual([200]);
  });
});

describe("automatic updates", () => {
  it('"patch" applies a new patch version by itself, and leaves a new minor version alone', async () => {
    const name = "counter-auto-patch";
    await publishCounter(name, "1.0.0", "1.0.1", "1.1.0");
    const { rt, clock } = open(name, {
      sources: [{ registry: reg.url }],
      updates: { auto: "patch", intervalMs: INTERVAL },
    });
    expect(await rt.call(name, "hit")).toEqual({ version: "1.0.0", count: 1 });
    const started = record(rt, "update.started");
    const completed = record(rt, "update.completed");
    await rt.start();

    const switched = next(rt, "update.switched");
    const checked = next(rt, "update.checked");
    clock.advance(INTERVAL);
    expect(await switched).toMatchObject({ id: name, from: "1.0.0", to: "1.0.1" });
    clock.advance(10_000); // the update's grace period, on the same clock
    await checked;
    expect(completed.map((e) => [e.from, e.to])).toEqual([["1.0.0", "1.0.1"]]);
    expect(await rt.call(name, "hit")).toEqual({ version: "1.0.1", count: 2 });

    // Nothing within ~1.0.1 is newer: the next check leaves 1.1.0 alone.
    expect(await tick(rt, clock)).toMatchObject({ outdated: [name] });
    expect(started).toHaveLength(1);
    expect(rt.queries.info(name).versions).toEqual(["1.0.1", "1.0.0"]);
  });

  it("does not try a version again after its automatic update failed; the old version serves", async () => {
    const name = "counter-auto-refused";
    await publishCounter(name, "1.0.0", "1.0.1");
    // The registry's tarball no longer matches its dist.integrity.
    const altered = h.ws.module({ name, version: "1.0.1", code: counter("extra() {},"), dirName: "altered" });
    await packModule(altered, reg.tarballPath(name, "1.0.1"));
    const { rt, clock } = open(name, {
      sources: [{ registry: reg.url }],
      updates: { auto: "patch", intervalMs: INTERVAL },
    });
    expect(await rt.call(name, "hit")).toEqual({ version: "1.0.0", count: 1 });
    const failed = record(rt, "update.failed");
    await rt.start();

    await tick(rt, clock);
    await tick(rt, clock);
    expect(failed.map((e) => [e.to, e.step, e.error.code])).toEqual([
      [null, "fetch", ErrorCodes.INTEGRITY_MISMATCH],
    ]);
    expect(await rt.call(name, "hit")).toEqual({ version: "1.0.0", count: 2 });
    expect(rt.queries.info(name).versions).toEqual(["1.0.0"]);
  });
});
