import fs from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import * as fsNamed from "node:fs";
import * as fspNamed from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FsMeter } from "./FsMeter.js";
import type { IoSink } from "./IoSink.js";

const KB = 1024;

describe("FsMeter", () => {
  let dir: string;
  let sink: IoSink;
  let charged: boolean;
  let meter: FsMeter;
  const file = (name: string) => join(dir, name);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "chipset-fsmeter-"));
    sink = { fsRead: 0, fsWrite: 0, netIn: 0, netOut: 0 };
    charged = true;
    meter = new FsMeter(() => (charged ? sink : undefined));
    meter.install();
  });
  afterEach(() => {
    meter.uninstall();
    rmSync(dir, { recursive: true, force: true });
  });

  it("counts sync reads and writes once, whatever path Node takes inside", () => {
    fsNamed.writeFileSync(file("a"), "x".repeat(100 * KB)); // utf8 fast path on Node 24
    fs.writeFileSync(file("b"), Buffer.alloc(50 * KB)); // through fs.writeSync
    fs.appendFileSync(file("b"), "é".repeat(10)); // 20 bytes in UTF-8
    expect(sink.fsWrite).toBe(150 * KB + 20);
    expect(fs.readFileSync(file("a"), "utf8").length).toBe(100 * KB);
    fsNamed.readFileSync(file("b")); // through fs.readSync
    expect(sink.fsRead).toBe(150 * KB + 20);
    const fd = fs.openSync(file("b"), "r+");
    fs.writeSync(fd, Buffer.alloc(10), 0, 10, 0);
    fs.readSync(fd, Buffer.alloc(30), 0, 30, 0);
    fs.writevSync(fd, [Buffer.alloc(5), Buffer.alloc(5)], 0);
    fs.readvSync(fd, [Buffer.alloc(4)], 0);
    fs.closeSync(fd);
    expect(sink.fsWrite).toBe(150 * KB + 20 + 20);
    expect(sink.fsRead).toBe(150 * KB + 20 + 34);
  });

  it("counts callback calls when they succeed, and file streams through them", async () => {
    await promisify(fs.writeFile)(file("a"), Buffer.alloc(64 * KB)); // through fs.write
    const data = await promisify(fs.readFile)(file("a"));
    expect(data.length).toBe(64 * KB);
    const fd = fs.openSync(file("a"), "r");
    // promisify still sees fs.read's named results
    const { bytesRead } = await promisify(fs.read)(fd, Buffer.alloc(100), 0, 100, 0);
    expect(bytesRead).toBe(100);
    fs.closeSync(fd);
    await pipeline(fs.createReadStream(file("a")), fs.createWriteStream(file("b")));
    expect(sink.fsWrite).toBe(128 * KB);
    expect(sink.fsRead).toBe(128 * KB + 100);
    await expect(promisify(fs.readFile)(file("missing"))).rejects.toThrow(/ENOENT/);
    expect(sink.fsRead).toBe(128 * KB + 100);
  });

  it("counts fs/promises and FileHandle methods", async () => {
    await fspNamed.writeFile(file("a"), "y".repeat(10 * KB));
    await fs.promises.appendFile(file("a"), Buffer.alloc(KB));
    expect((await fspNamed.readFile(file("a"), "latin1")).length).toBe(11 * KB);
    function* chunks() {
      yield "ab";
      yield Buffer.alloc(8);
    }
    await fspNamed.writeFile(file("c"), chunks());
    expect(sink.fsWrite).toBe(11 * KB + 10);
    expect(sink.fsRead).toBe(11 * KB);
    const handle = await fspNamed.open(file("a"), "r+");
    await handle.write(Buffer.alloc(7), 0, 7, 0);
    await handle.read(Buffer.alloc(9), 0, 9, 0);
    await handle.writeFile("zz");
    await handle.readFile();
    await handle.close();
    expect(sink.fsWrite).toBe(11 * KB + 10 + 9);
    expect(sink.fsRead).toBe(11 * KB + 9 + 11 * KB - 2); // readFile reads on from the handle's position (2)
  });

  it("charges nobody when no module is current, and nothing it does not see", () => {
    charged = false;
    fs.writeFileSync(file("a"), "abc");
    charged = true;
    meter.unmetered(() => fs.readFileSync(file("a")));
    expect(sink).toEqual({ fsRead: 0, fsWrite: 0, netIn: 0, netOut: 0 });
  });

  it("leaves fs as it was once uninstalled", () => {
    const patched = fs.readFileSync;
    meter.uninstall();
    expect(fs.readFileSync).not.toBe(patched);
    expect(fsNamed.readFileSync).toBe(fs.readFileSync);
    meter.install();
    expect(fsNamed.readFileSync).toBe(fs.readFileSync);
  });
});
