import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { connect, createServer, type Server } from "node:net";
import { dirname, join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sandboxFeatures } from "../../src/hosts/sandboxFeatures.js";
import { createRuntime, type Runtime } from "../../src/index.js";
import type { ChipsetManifest } from "../../src/vocabulary/manifest.js";
import { workspace, type Workspace } from "../support/fixtures.js";

// docs/security.md, "What a module can do, by host", as Deno's permission tests: every capability
// tried by a real module in each host, and the answer it got. "yes" is done; anything else is
// the error code (or errno) it met, or what it saw instead.
//
// Hosts: `sandboxed` asks for nothing beyond writing `./out`; `granted` is a sandboxed module
// whose manifest asks for, and whose operator's ceiling grants, everything a grant can open.

const HOSTS = ["inline", "worker", "process", "sandboxed", "granted"] as const;
type Host = (typeof HOSTS)[number];

// A sandboxed module's kernel protections are those of this machine (`chipset env`): where one
// is missing, the answer is what the permission model alone gives.
const machine = sandboxFeatures().report;
const NODE = Number(process.versions.node.split(".")[0]);
const asUser = machine.unprivilegedUser.available;
const ownNetwork = machine.networkNamespace.available;

type Row = Record<Host, string>;
const all = (answer: string): Row => ({
  inline: answer,
  worker: answer,
  process: answer,
  sandboxed: answer,
  granted: answer,
});
const unsandboxed = (answer: string, sandboxed: string, granted = sandboxed): Row => ({
  inline: answer,
  worker: answer,
  process: answer,
  sandboxed,
  granted,
});
const DENIED = "ERR_ACCESS_DENIED";

/** Capability x host -> the answer the module gets. */
const TABLE: Record<string, Row> = {
  "read its own directory": all("yes"),
  "read outside it: /etc": unsandboxed("yes", DENIED),
  "read outside it: the data directory": unsandboxed("yes", DENIED),
  "read outside it, where the ceiling grants it": unsandboxed("yes", DENIED, "yes"),
  "read chipset.db": unsandboxed("yes", DENIED),
  "write its own store directory": unsandboxed("yes", DENIED),
  "write where granted (fsWrite ./out)": all("yes"),
  "read the runtime's environment (secrets)": unsandboxed("yes", "unset"),
  "read a variable granted (permissions.env)": unsandboxed("yes", "unset", "yes"),
  "write to the runtime's stdout": { ...all("captured into the log"), inline: "yes" },
  "process.kill the runtime": {
    ...all("yes"),
    worker: "CHIP_ERR_PERMISSION_DENIED",
    sandboxed: asUser ? "EPERM" : "yes",
    granted: asUser ? "EPERM" : "yes",
  },
  "open the inspector": { ...unsandboxed("yes", DENIED), worker: "CHIP_ERR_PERMISSION_DENIED" },
  "load a native addon": unsandboxed("yes", "ERR_DLOPEN_DISABLED"),
  "start child processes": unsandboxed("yes", DENIED, "yes"),
  // A granted child: on Node 20 it leaves the permission model; later, a node child stays under it.
  "a child process (node) reads /etc": unsandboxed("yes", DENIED, NODE >= 22 ? DENIED : "yes"),
  // A shell leaves it on any version: only the kernel (the unprivileged user) is left.
  "a child process (sh) reads /etc": unsandboxed("yes", DENIED, "yes"),
  // Outside the permission model, chipset.db (0600) and the store are the runtime's user's.
  "a child process (sh) reads chipset.db": unsandboxed("yes", DENIED, asUser ? "EACCES" : "yes"),
  "a child process (sh) writes its store directory": unsandboxed("yes", DENIED, asUser ? "EACCES" : "yes"),
  "start worker threads": unsandboxed("yes", DENIED, "yes"),
  "a worker thread reads /etc": unsandboxed("yes", DENIED),
  "connect to a server on the runtime's 127.0.0.1": unsandboxed(
    "yes",
    ownNetwork ? "ECONNREFUSED" : "yes",
    "yes",
  ),
  "listen on 0.0.0.0, reached from the runtime's machine": unsandboxed(
    "yes",
    ownNetwork ? "no" : "yes",
    "yes",
  ),
  "listen on 0.0.0.0, reached from itself": all("yes"),
};

const SECRET = "CHIPSET_CAPS_SECRET";
const GRANTED = "CHIPSET_CAPS_GRANTED";
const MARKER = "capability-marker-";

/** Tries each capability and answers with what happened; `paths` and ports come from the test. */
const PROBE = `import fs from "node:fs";
import net from "node:net";
import inspector from "node:inspector";
import { execFileSync } from "node:child_process";
import { Worker } from "node:worker_threads";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { join, dirname } from "node:path";
const here = dirname(fileURLToPath(import.meta.url));
const attempt = async (fn) => { try { await fn(); return "yes"; } catch (e) { return e.code ?? e.name; } };
const readEtc = 'try { require("node:fs").readFileSync("/etc/passwd"); console.log("yes") } catch (e) { console.log(e.code) }';
/** A worker thread that reads /etc: [started, what it read], or why it could not start. */
const thread = () => new Promise((resolve) => {
  let worker;
  try {
    worker = new Worker(readEtc.replaceAll("console.log", 'require("node:worker_threads").parentPort.postMessage'), { eval: true });
  } catch (e) { return resolve([e.code, e.code]); }
  worker.once("message", (read) => { resolve(["yes", read]); void worker.terminate(); });
  worker.once("error", (e) => resolve(["yes", e.code ?? e.name]));
});
/** A child process that reads /etc: [started, what it read], or why it could not start. */
const child = (file, args) => { try { return ["yes", execFileSync(file, args, { encoding: "utf8" }).trim()]; } catch (e) { return [e.code, e.code]; } };
/** What a shell it started could do: "yes", or EACCES. */
const sh = (script, ...args) => child("/bin/sh", ["-c", script + " >/dev/null 2>&1 && echo yes || echo EACCES", "sh", ...args])[1];
const dial = (port) => new Promise((resolve) => {
  const socket = net.connect(port, "127.0.0.1");
  socket.setEncoding("utf8");
  let heard = "";
  socket.on("data", (d) => { heard += d; });
  socket.on("end", () => resolve(heard === "hello" ? "yes" : "no"));
  socket.on("error", (e) => resolve(e.code));
});
let server;
export const module = defineModule({ api: {
  async probe(t) {
    const [childStarted, childRead] = child(process.execPath, ["-e", readEtc]);
    const [threadStarted, threadRead] = await thread();
    return {
      "read its own directory": await attempt(() => fs.readFileSync(join(here, "package.json"))),
      "read outside it: /etc": await attempt(() => fs.readFileSync("/etc/passwd")),
      "read outside it: the data directory": await attempt(() => fs.readdirSync(t.dataDir)),
      "read outside it, where the ceiling grants it": await attempt(() => fs.readFileSync(t.shared)),
      "read chipset.db": await attempt(() => fs.readFileSync(t.db)),
      "write its own store directory": await attempt(() => { fs.writeFileSync(join(here, "intruder.txt"), "x"); fs.unlinkSync(join(here, "intruder.txt")); }),
      "write where granted (fsWrite ./out)": await attempt(() => { fs.mkdirSync(join(here, "out"), { recursive: true }); fs.writeFileSync(join(here, "out", "result.txt"), "x"); }),
      "read the runtime's environment (secrets)": process.env[t.secret] === t.secretValue ? "yes" : process.env[t.secret] ?? "unset",
      "read a variable granted (permissions.env)": process.env[t.granted] === t.grantedValue ? "yes" : process.env[t.granted] ?? "unset",
      "write to the runtime's stdout": await attempt(() => process.stdout.write(t.marker + "\\n")),
      // Signal 0 only checks that the signal could be sent: nothing is killed.
      "process.kill the runtime": await attempt(() => process.kill(t.runtimePid, 0)),
      "open the inspector": await attempt(() => { inspector.open(0, "127.0.0.1"); inspector.close(); }),
      "load a native addon": await attempt(() => createRequire(import.meta.url)("./addon.node")),
      "start child processes": childStarted,
      "a child process (node) reads /etc": childRead,
      "a child process (sh) reads /etc": sh('head -c 1 /etc/passwd'),
      "a child process (sh) reads chipset.db": sh('head -c 1 "$1"', t.db),
      "a child process (sh) writes its store directory": sh('touch "$1/intruder" && rm "$1/intruder"', here),
      "start worker threads": threadStarted,
      "a worker thread reads /etc": threadRead,
      "connect to a server on the runtime's 127.0.0.1": await attempt(() => new Promise((resolve, reject) => {
        const socket = net.connect(t.serverPort, "127.0.0.1", () => { socket.end(); resolve(); });
        socket.on("error", reject);
      })),
    };
  },
  /** Listens on 0.0.0.0 (answering "hello"); returns its port, and whether it reached itself. */
  async listen() {
    server = net.createServer((s) => s.end("hello"));
    await new Promise((resolve) => server.listen(0, "0.0.0.0", resolve));
    const port = server.address().port;
    return { port, self: await dial(port) };
  },
  unlisten() { return new Promise((resolve) => server.close(() => resolve("closed"))); },
} });`;

/** The answers of each host, by capability; filled once for the whole table. */
const answers = {} as Record<Host, Record<string, string>>;
let ws: Workspace;
let rt: Runtime | undefined;
let hostServer: Server | undefined;

/** The manifest's `chipset` section of each host's module. */
function manifest(host: Host, shared: string): Partial<ChipsetManifest> {
  const granted = {
    fsRead: [shared],
    fsWrite: ["./out"],
    childProcess: true,
    worker: true,
    net: true,
    env: [GRANTED],
  };
  return {
    inline: { isolation: "inline" as const },
    worker: { isolation: "worker" as const },
    process: { isolation: "process" as const },
    sandboxed: { isolation: "process" as const, permissions: { fsWrite: ["./out"] } },
    granted: { isolation: "process" as const, permissions: granted },
  }[host];
}

beforeAll(async () => {
  ws = workspace();
  const shared = join(ws.root, "shared");
  mkdirSync(shared);
  writeFileSync(join(shared, "note.txt"), "shared");
  const addon = nativeAddon();
  for (const host of HOSTS) {
    const dir = ws.module({ name: `caps-${host}`, chipset: manifest(host, shared), code: PROBE });
    copyFileSync(addon, join(dir, "addon.node"));
  }
  // The operator's ceiling: what `granted` asks for beyond its own directory.
  const configFile = join(ws.root, "chipset.config.json");
  writeFileSync(
    configFile,
    JSON.stringify({
      permissions: {
        "caps-granted": { fsRead: ["./shared"], childProcess: true, worker: true, env: [GRANTED] },
      },
    }),
  );
  const server = createServer((socket) => socket.end());
  hostServer = server;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

  // Where each module's line lands: the runtime's stdout (kept out of the test's output), or its log.
  const sightings = new Map<string, (where: string) => void>();
  const sighted = (marker: string) => new Promise<string>((resolve) => sightings.set(marker, resolve));
  const look = (text: string, where: string) => {
    for (const [marker, resolve] of sightings) if (text.includes(marker)) resolve(where);
  };
  const logger = pino(
    { level: "info" },
    {
      write: (line: string) =>
        look(line, line.includes(`"stream":"stdout"`) ? "captured into the log" : "logged"),
    },
  );
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk: string | Uint8Array, ...rest: never[]) => {
    look(String(chunk), "yes");
    return String(chunk).includes(MARKER) || write(chunk, ...rest);
  };
  // Set before the runtime starts any host, so that every host could inherit them.
  process.env[SECRET] = "s3cret";
  process.env[GRANTED] = "granted";
  try {
    rt = createRuntime({
      dataDir: ws.dataDir,
      moduleDirs: [ws.modulesDir],
      configFile,
      logger,
      hosts: { pool: { worker: 0, process: 0 } },
    });
    await Promise.all(
      HOSTS.map(async (host) => {
        const id = `caps-${host}`;
        const marker = `${MARKER}${host}`;
        const line = sighted(marker);
        const probed = (await rt!.call(id, "probe", [
          {
            dataDir: ws.dataDir,
            db: join(ws.dataDir, "chipset.db"),
            shared: join(shared, "note.txt"),
            secret: SECRET,
            secretValue: "s3cret",
            granted: GRANTED,
            grantedValue: "granted",
            marker,
            runtimePid: process.pid,
            serverPort: (server.address() as { port: number }).port,
          },
        ])) as Record<string, string>;
        probed["write to the runtime's stdout"] = await line;
        const { port, self } = (await rt!.call(id, "listen")) as { port: number; self: string };
        probed["listen on 0.0.0.0, reached from itself"] = self;
        probed["listen on 0.0.0.0, reached from the runtime's machine"] = await dial(port);
        await rt!.call(id, "unlisten");
        answers[host] = probed;
      }),
    );
  } finally {
    process.stdout.write = write;
    delete process.env[SECRET];
    delete process.env[GRANTED];
  }
});

afterAll(async () => {
  await rt?.close();
  const server = hostServer;
  if (server !== undefined) await new Promise((resolve) => server.close(resolve));
  ws?.dispose();
});

describe.each(Object.entries(TABLE))("%s", (capability, row) => {
  it.each(HOSTS.map((host) => [host, row[host]] as const))("%s: %s", (host, expected) => {
    expect(answers[host][capability]).toBe(expected);
  });
});

/** Connects to `port` on 127.0.0.1: "yes" when the module there greeted, else what happened. */
function dial(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.setEncoding("utf8");
    let heard = "";
    socket.on("data", (data: string) => (heard += data));
    socket.on("end", () => resolve(heard === "hello" ? "yes" : "no"));
    socket.on("error", () => resolve("no"));
  });
}

/** The path of better-sqlite3's addon for this Node (Chipset's own dependency), found as it finds it. */
function nativeAddon(): string {
  const pkg = createRequire(import.meta.url).resolve("better-sqlite3/package.json");
  const bindings = createRequire(pkg)("bindings") as (o: object) => string;
  return bindings({ bindings: "better_sqlite3.node", path: true, module_root: dirname(pkg) });
}
