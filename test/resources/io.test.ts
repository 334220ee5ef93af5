import fs from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Runtime } from "../../src/index.js";
import { runtimeHarness } from "../support/runtimeHarness.js";

const h = runtimeHarness();
const KB = 1024;
const MB = 1024 * KB;

/** Writes `mb` MiB to `path` by three paths of node:fs (sync, promises, a stream) and reads 1 MiB back. */
const WRITER = `import fs from "node:fs";
import { writeFile } from "node:fs/promises";
export const module = defineModule({ api: {
  async write(path, mb) {
    const third = Math.floor((mb * 1048576) / 3);
    fs.writeFileSync(path + ".a", Buffer.alloc(third, 1));
    await writeFile(path + ".b", Buffer.alloc(third, 2));
    const rest = mb * 1048576 - 2 * third;
    await new Promise((resolve, reject) => {
      const out = fs.createWriteStream(path + ".c");
      out.on("error", reject).on("finish", resolve);
      for (let left = rest; left > 0; left -= 65536) out.write(Buffer.alloc(Math.min(left, 65536), 3));
      out.end();
    });
    return fs.readFileSync(path + ".a").subarray(0, 1048576).length;
  },
  idle() { return true; },
} });`;

/** Fetches `url` with fetch() or http.get (through one keep-alive agent per thread) and returns the body's length. */
const FETCHER = `import http from "node:http";
const agent = (globalThis.__ioTestAgent ??= new http.Agent({ keepAlive: true, maxSockets: 1 }));
export const module = defineModule({ api: {
  async fetch(url) { const res = await fetch(url); return (await res.arrayBuffer()).byteLength; },
  get(url) {
    return new Promise((resolve, reject) => {
      http.get(url, { agent }, (res) => {
        let n = 0;
        res.on("data", (chunk) => (n += chunk.length)).on("end", () => resolve(n)).on("error", reject);
      }).on("error", reject);
    });
  },
  idle() { return true; },
} });`;

/** Opens a raw TCP socket to the server, asks for `n` bytes and keeps the socket open once they came. */
const RAW = `import net from "node:net";
const open = [];
export const module = defineModule({ api: {
  raw(port, n) {
    return new Promise((resolve, reject) => {
      const socket = new net.Socket();
      open.push(socket);
      let got = 0;
      socket.on("data", (chunk) => { got += chunk.length; if (got >= n) resolve(got); }).on("error", reject);
      socket.connect(port, "127.0.0.1", () => socket.write("GET /bytes/" + n + " HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"));
    });
  },
} });`;

/** A local server answering `/bytes/<n>` with n bytes; it counts the connections it accepted. */
let server: Server;
let base: string;
let connections = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    const n = Number(/^\/bytes\/(\d+)$/.exec(req.url ?? "")?.[1] ?? 0);
    res.writeHead(200, { "content-length": n, "content-type": "application/octet-stream" });
    res.end(Buffer.alloc(n, 7));
  });
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** The counters of `ref` now; a child's arrive with its heartbeat, so wait for `ready`. */
async function usageOf(runtime: Runtime, ref: string, ready: (u: Counters) => boolean): Promise<Counters> {
  let usage: Counters | undefined;
  await vi.waitFor(
    () => {
      usage = runtime.resources.usage(ref)[0]?.usage;
      expect(usage !== undefined && ready(usage)).toBe(true);
    },
    { timeout: 10_000, interval: 20 },
  );
  return usage!;
}
type Counters = ReturnType<Runtime["resources"]["usage"]>[number]["usage"];

describe.each(["worker", "process", "inline"] as const)(
  "the disk and network bytes of a %s module",
  (isolation) => {
    it("are its own: a module writing 10 MB and one fetching 1 MB each get theirs, and a neighbour nothing", async () => {
      h.ws.module({ name: "writer", chipset: { isolation }, code: WRITER });
      h.ws.module({ name: "fetcher", chipset: { isolation }, code: FETCHER });
      h.ws.module({ name: "neighbour", chipset: { isolation }, code: FETCHER });
      const runtime = h.open({ resources: { sampleMs: 0 }, hosts: { heartbeatMs: 50 } });
      await runtime.start();
      await runtime.call("neighbour", "idle");
      expect(await runtime.call("writer", "write", [join(h.ws.root, "out"), 10])).toBe(MB);
      expect(await runtime.call("fetcher", "fetch", [`${base}/bytes/${MB}`])).toBe(MB);

      const writer = await usageOf(runtime, "writer", (u) => u.fsWrite >= 10 * MB);
      expect(writer.fsWrite).toBeLessThan(10.3 * MB);
      expect(writer.fsRead).toBeGreaterThanOrEqual(MB);
      expect(writer.fsRead).toBeLessThan(10.3 * MB); // readFileSync of a 3.3 MB file, plus its own code
      expect(writer.netIn + writer.netOut).toBe(0);

      const fetcher = await usageOf(runtime, "fetcher", (u) => u.netIn >= MB);
      expect(fetcher.netIn).toBeLessThan(1.03 * MB); // the body and the response head
      expect(fetcher.netOut).toBeGreaterThan(50); // the request head
      expect(fetcher.netOut).toBeLessThan(2 * KB);
      expect(fetcher.fsWrite).toBe(0);

      const neighbour = runtime.resources.usage("neighbour")[0]!.usage;
      expect(neighbour.netIn + neighbour.netOut + neighbour.fsWrite).toBe(0);
      expect(neighbour.fsRead).toBeLessThan(64 * KB); // a child may count reading the module's own code
    });
  },
);

describe("inline modules sharing one keep-alive socket", () => {
  it.each(["get", "fetch"] as const)("are each charged their own requests' bytes (%s)", async (method) => {
    h.ws.module({ name: "big", chipset: { isolation: "inline" }, code: FETCHER });
    h.ws.module({ name: "small", chipset: { isolation: "inline" }, code: FETCHER });
    const runtime = h.open({ resources: { sampleMs: 0 } });
    await runtime.start();
    const before = connections;
    for (let i = 0; i < 3; i++) {
      expect(await runtime.call("big", method, [`${base}/bytes/${MB}`])).toBe(MB);
      expect(await runtime.call("small", method, [`${base}/bytes/${64 * KB}`])).toBe(64 * KB);
    }
    expect(connections - before).toBeLessThanOrEqual(1); // one socket carried all six requests
    const big = runtime.resources.usage("big")[0]!.usage;
    const small = runtime.resources.usage("small")[0]!.usage;
    expect(big.netIn).toBeGreaterThanOrEqual(3 * MB);
    expect(big.netIn).toBeLessThan(3 * MB + 3 * KB);
    expect(small.netIn).toBeGreaterThanOrEqual(3 * 64 * KB);
    expect(small.netIn).toBeLessThan(3 * 64 * KB + 3 * KB);
    for (const u of [big, small]) {
      expect(u.netOut).toBeGreaterThan(3 * 50);
      expect(u.netOut).toBeLessThan(3 * KB);
    }
  });
});

describe("inline modules queued for one keep-alive socket", () => {
  it("are each charged their own requests' bytes, though the socket comes to each from the other's response", async () => {
    h.ws.module({ name: "big", chipset: { isolation: "inline" }, code: FETCHER });
    h.ws.module({ name: "small", chipset: { isolation: "inline" }, code: FETCHER });
    const runtime = h.open({ resources: { sampleMs: 0 } });
    await runtime.start();
    for (let i = 0; i < 3; i++) {
      await Promise.all([
        runtime.call("big", "get", [`${base}/bytes/${MB}`]),
        runtime.call("small", "get", [`${base}/bytes/${64 * KB}`]),
      ]);
    }
    const big = runtime.resources.usage("big")[0]!.usage;
    const small = runtime.resources.usage("small")[0]!.usage;
    expect(big.netIn).toBeGreaterThanOrEqual(3 * MB);
    expect(big.netIn).toBeLessThan(3 * MB + 3 * KB);
    expect(small.netIn).toBeGreaterThanOrEqual(3 * 64 * KB);
    expect(small.netIn).toBeLessThan(3 * 64 * KB + 3 * KB);
  });
});

describe("a raw socket an inline module opens in a call", () => {
  it("is charged to the module while it stays open", async () => {
    h.ws.module({ name: "raw", chipset: { isolation: "inline" }, code: RAW });
    h.ws.module({ name: "other", chipset: { isolation: "inline" }, code: FETCHER });
    const runtime = h.open({ resources: { sampleMs: 0 } });
    await runtime.start();
    await runtime.call("other", "idle");
    const port = Number(new URL(base).port);
    expect(await runtime.call("raw", "raw", [port, 256 * KB])).toBeGreaterThanOrEqual(256 * KB);
    const raw = runtime.resources.usage("raw")[0]!.usage;
    expect(raw.netIn).toBeGreaterThanOrEqual(256 * KB);
    expect(raw.netOut).toBeGreaterThan(20);
    expect(runtime.resources.usage("other")[0]!.usage.netIn).toBe(0);
  });
});

describe("the fs meter of the runtime's thread", () => {
  it("is there only while the runtime has inline modules, and leaves node:fs as it was once closed", async () => {
    const original = fs.readFileSync;
    h.ws.module({ name: "writer", chipset: { isolation: "inline" }, code: WRITER });
    const runtime = h.open({ resources: { sampleMs: 0 } });
    await runtime.start();
    expect(fs.readFileSync).toBe(original);
    await runtime.call("writer", "idle");
    expect(fs.readFileSync).not.toBe(original);
    await runtime.close();
    expect(fs.readFileSync).toBe(original);
  });
});
