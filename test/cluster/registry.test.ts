import type { ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { Objm } from "@nats-io/obj";
import ssri from "ssri";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalogKey, type CatalogEntry } from "../../src/cluster/catalogEntry.js";
import { connectNats } from "../../src/cluster/connectNats.js";
import { packModule } from "../../src/cluster/packageArchive.js";
import { chipset, FREE_PORT, json, spawnCli, stopHost, tempDir, writeModule } from "../cli/harness.js";
import { readHostFile } from "../../src/server/hostFile.js";
import { startNats, type NatsServer } from "../support/natsServer.js";

// Hosts (`chipset start --cluster`) sharing their registry through a real nats-server (JetStream):
// what one node adds, the others install; what fails its integrity, nobody installs; NATS down
// costs nothing but time.

/** How long a node may take to see what another did (a loaded 2-core machine). */
const DEADLINE_MS = 30_000;

/** A `chipset start --cluster` process and everything it printed. */
interface Node {
  name: string;
  dataDir: string;
  child: ChildProcess;
  output(): string;
  /** Resolves once the output (from character `from` on) matches `pattern`; rejects on exit or after the deadline. */
  until(pattern: RegExp, from?: number): Promise<void>;
}

let nats: NatsServer;
let root: string;
let cleanup: () => Promise<void>;
const nodes: Node[] = [];

function startNode(name: string): Node {
  const dataDir = join(root, name);
  const child = spawnCli([
    "--data-dir",
    dataDir,
    "start",
    ...FREE_PORT,
    "--cluster",
    nats.url,
    "--node",
    name,
  ]);
  let out = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  const node: Node = {
    name,
    dataDir,
    child,
    output: () => out,
    until: (pattern, from = 0) =>
      new Promise<void>((resolve, reject) => {
        const check = (): boolean => {
          if (!pattern.test(out.slice(from))) return false;
          done();
          resolve();
          return true;
        };
        const onExit = (): void => {
          done();
          reject(new Error(`node ${name} exited before printing ${String(pattern)}:\n${out}`));
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(`node ${name} did not print ${String(pattern)} within ${DEADLINE_MS} ms:\n${out}`),
          );
        }, DEADLINE_MS);
        const onData = (): void => void check();
        function done(): void {
          clearTimeout(timer);
          child.stdout?.off("data", onData);
          child.stderr?.off("data", onData);
          child.off("exit", onExit);
        }
        child.stdout?.on("data", onData);
        child.stderr?.on("data", onData);
        child.once("exit", onExit);
        check();
      }),
  };
  nodes.push(node);
  return node;
}

/** `chipset add` of a fresh module `name@version` on `node`'s data directory (beside its running host). */
async function addModule(node: Node, name: string, version: string): Promise<void> {
  const dir = await writeModule(join(root, "modules", `${name}-${version}`), {
    name,
    version,
    chipset: { kind: "demo", description: `${name} for the cluster test` },
    code: `export const module = { api: { async version() { return ${JSON.stringify(version)}; } } };\n`,
  });
  const added = await chipset(["--data-dir", node.dataDir, "add", dir]);
  expect(added.code, added.stderr).toBe(0);
}

interface ListedModule {
  id: string;
  version: string;
  source: string;
  digest?: string | null;
}

/** GET `path` from `node`'s host API (as `chipset --host` would, without a process per question). */
async function api<T>(node: Node, path: string): Promise<T> {
  const host = readHostFile(node.dataDir);
  if (host === undefined) throw new Error(`node ${node.name} has no host.json`);
  const res = await fetch(`${host.url}${path}`, { headers: { authorization: `Bearer ${host.token}` } });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as T;
}

/** The versions `node`'s host has registered. */
async function installed(node: Node): Promise<ListedModule[]> {
  return (await api<{ modules: ListedModule[] }>(node, "/v1/modules")).modules;
}

/** The tree digest of `ref` on `node`: from its host for B and C, from the registry (`chipset info`) for A, whose adds come from another process. */
async function digestOf(node: Node, ref: string): Promise<string> {
  if (node !== a)
    return (await api<{ digest: string }>(node, `/v1/modules/${encodeURIComponent(ref)}`)).digest;
  return json<{ digest: string }>(await chipset(["--data-dir", node.dataDir, "info", ref, "--json"])).digest;
}

let a: Node;
let b: Node;

beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir("cluster-registry"));
  nats = await startNats();
  a = startNode("a");
  b = startNode("b");
  await Promise.all([a.until(/joined cluster chipset as a/), b.until(/joined cluster chipset as b/)]);
});

afterAll(async () => {
  await Promise.all(nodes.map((n) => stopHost(n.child)));
  await nats?.dispose();
  await cleanup?.();
});

describe("a cluster's shared registry", () => {
  it("installs on B a module added on A, with the same digest", async () => {
    await addModule(a, "hello", "1.0.0");
    await a.until(/published hello@1\.0\.0 to cluster chipset/);
    await b.until(/installed hello@1\.0\.0 from cluster chipset \(published by a\)/);
    const onB = (await installed(b)).find((m) => m.id === "hello");
    expect(onB).toMatchObject({ version: "1.0.0", source: "cluster:a" });
    expect(await digestOf(b, "hello@1.0.0")).toBe(await digestOf(a, "hello@1.0.0"));
  });

  it("refuses a catalogue entry whose integrity the package does not match, and installs nothing", async () => {
    const from = b.output().length;
    const real = await writeModule(join(root, "modules", "forged"), {
      name: "forged",
      version: "1.0.0",
      chipset: { kind: "demo" },
      code: "export const module = {};\n",
    });
    const packed = await packModule(real);
    const nc = await connectNats({ url: nats.url, node: "forger" });
    try {
      const js = jetstream(nc);
      const packages = await new Objm(js).create("chipset_chipset_packages");
      const catalog = await new Kvm(js).create("chipset_chipset_catalog");
      await packages.putBlob({ name: "forged@1.0.0" }, packed.bytes);
      const entry: CatalogEntry = {
        id: "forged",
        version: "1.0.0",
        // The integrity of other bytes: what a tampered package in the object store looks like.
        integrity: ssri.fromData("not the package", { algorithms: ["sha512"] }).toString(),
        digest: "0".repeat(64),
        object: "forged@1.0.0",
        manifest: { kind: "demo" },
        addedBy: "forger",
        at: Date.now(),
      };
      await catalog.put(catalogKey("forged", "1.0.0"), JSON.stringify(entry));
    } finally {
      await nc.close();
    }
    await b.until(/refused forged@1\.0\.0 from cluster chipset: CHIP_ERR_INTEGRITY_MISMATCH/, from);
    expect((await installed(b)).map((m) => m.id)).toEqual(["hello"]);
  });

  it("publishes what A added while NATS was down once NATS is back, and B installs it", async () => {
    const fromA = a.output().length;
    const fromB = b.output().length;
    await nats.stop();
    await a.until(/NATS unreachable: working alone/, fromA);
    await addModule(a, "later", "1.0.0");
    nats = await startNats({ port: nats.port, storeDir: nats.storeDir });
    await a.until(/rejoined cluster chipset as a/, fromA);
    await b.until(/installed later@1\.0\.0 from cluster chipset \(published by a\)/, fromB);
    expect(await digestOf(b, "later@1.0.0")).toBe(await digestOf(a, "later@1.0.0"));
  });

  it("lets a node started while NATS is down work alone, then join and catch up when NATS appears", async () => {
    const fromB = b.output().length;
    await nats.stop();
    const c = startNode("c");
    await c.until(/NATS unreachable: working alone; will publish 0 versions when NATS is back/);
    await c.until(/chipset is running/);
    await addModule(c, "local", "2.0.0");
    expect((await installed(c)).map((m) => m.id)).toEqual(["local"]);
    nats = await startNats({ port: nats.port, storeDir: nats.storeDir });
    await c.until(/joined cluster chipset as c/);
    await c.until(/installed hello@1\.0\.0 from cluster chipset/);
    await c.until(/installed later@1\.0\.0 from cluster chipset/);
    await c.until(/published local@2\.0\.0 to cluster chipset/);
    await b.until(/installed local@2\.0\.0 from cluster chipset \(published by c\)/, fromB);
  });

  it("removes from B a version A removed, as it came from the cluster", async () => {
    const fromB = b.output().length;
    const removed = await chipset(["--data-dir", a.dataDir, "remove", "hello@1.0.0"]);
    expect(removed.code, removed.stderr).toBe(0);
    await b.until(/removed hello@1\.0\.0: a removed it from cluster chipset/, fromB);
    expect((await installed(b)).map((m) => m.id).sort()).toEqual(["later", "local"]);
  });

  it("refuses to start a node whose cluster settings it cannot use, naming the setting, before anything runs", async () => {
    const config = join(root, "bad-cluster.json");
    await writeFile(config, JSON.stringify({ cluster: { user: "chip", passwordFile: "missing-password" } }));
    const dataDir = join(root, "refused");
    const started = await chipset([
      "--data-dir",
      dataDir,
      "--config",
      config,
      "start",
      ...FREE_PORT,
      "--cluster",
      nats.url,
    ]);
    expect(started.code).not.toBe(0);
    expect(started.stderr).toMatch(
      /CHIP_ERR_CLUSTER_CONFIG_INVALID: cannot read passwordFile .*missing-password/,
    );
    expect(started.stdout).not.toMatch(/HTTP API at/);
    const typo = await chipset([
      "--data-dir",
      dataDir,
      "start",
      ...FREE_PORT,
      "--cluster",
      "http://127.0.0.1:4222",
    ]);
    expect(typo.stderr).toMatch(
      /CHIP_ERR_CLUSTER_CONFIG_INVALID: "http:\/\/127\.0\.0\.1:4222" is no NATS URL/,
    );
  });
});
