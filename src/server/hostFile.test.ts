import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { assertNoLiveHost, hostFilePath, readHostFile, removeHostFile, writeHostFile } from "./hostFile.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "chipset-hostfile-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const content = (pid: number) => ({
  url: "http://127.0.0.1:1",
  pid,
  token: "t".repeat(43),
  startedAt: new Date(0).toISOString(),
});

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(child.stdout.toString());
}

describe("host.json", () => {
  it("is written with mode 0600 and read back", () => {
    writeHostFile(join(dir, "data"), content(process.pid));
    expect(readHostFile(join(dir, "data"))).toEqual(content(process.pid));
    expect(statSync(hostFilePath(join(dir, "data"))).mode & 0o777).toBe(0o600);
  });

  it("replaces a stale file that names a dead process", () => {
    writeFileSync(hostFilePath(dir), JSON.stringify(content(deadPid())));
    expect(() => assertNoLiveHost(dir)).not.toThrow();
    writeHostFile(dir, content(process.pid));
    expect(readHostFile(dir)?.pid).toBe(process.pid);
  });

  it("refuses with CHIP_ERR_HOST_RUNNING while it names another live process", () => {
    const other = process.ppid; // alive while this test runs
    writeFileSync(hostFilePath(dir), JSON.stringify(content(other)));
    let refused: unknown;
    try {
      writeHostFile(dir, content(process.pid));
    } catch (err) {
      refused = err;
    }
    expect(refused).toMatchObject({ code: "CHIP_ERR_HOST_RUNNING", details: { pid: other } });
    expect(readHostFile(dir)?.pid).toBe(other);
  });

  it("ignores a file that is not a host file", () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(hostFilePath(dir), "{ torn");
    expect(readHostFile(dir)).toBeUndefined();
    writeHostFile(dir, content(process.pid));
    expect(readHostFile(dir)?.pid).toBe(process.pid);
  });

  it("is removed on exit only by the host it names", () => {
    writeFileSync(hostFilePath(dir), JSON.stringify(content(process.ppid)));
    removeHostFile(dir);
    expect(readHostFile(dir)?.pid).toBe(process.ppid);
    writeFileSync(hostFilePath(dir), JSON.stringify(content(process.pid)));
    removeHostFile(dir);
    expect(readHostFile(dir)).toBeUndefined();
  });
});
