import { chownSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ErrorCodes } from "../../src/errors/codes.js";
import { processExecArgv } from "../../src/hosts/isolated/processArgs.js";
import { sandboxFeatures } from "../../src/hosts/sandboxFeatures.js";
import { hostHarness } from "./harness.js";

const h = hostHarness();

const fsModule = `import { readFileSync, writeFileSync } from "node:fs";
  import { execFileSync } from "node:child_process";
  import { Worker } from "node:worker_threads";
  const attempt = (fn) => { try { return fn(); } catch (e) { return e.code; } };
  export const module = defineModule({ api: {
    read(path) { return readFileSync(path, "utf8"); },
    write(path, text) { writeFileSync(path, text); return "written"; },
    spawn() { return attempt(() => execFileSync(process.execPath, ["-e", "1"]) && "spawned"); },
    thread() { return attempt(() => { new Worker("0", { eval: true }).terminate(); return "started"; }); },
  } });`;

describe("a process host under Node's permission model", () => {
  it("reads and writes only what its manifest grants; no child processes or workers unless granted", async () => {
    const dirA = join(h.ws.root, "dirA");
    const dirB = join(h.ws.root, "dirB");
    const out = join(h.ws.root, "out");
    for (const dir of [dirA, dirB, out]) mkdirSync(dir);
    // Where the module runs as an unprivileged user, what it is granted to write must be that user's too.
    const user = sandboxFeatures().user;
    if (user !== undefined) chownSync(out, user.uid, user.gid);
    writeFileSync(join(dirA, "a.txt"), "from A");
    writeFileSync(join(dirB, "b.txt"), "from B");
    const { host } = await h.started("process", fsModule, {
      permissions: { fsRead: [dirA], fsWrite: [out], childProcess: false, worker: false, env: [] },
    });
    // It loaded at all: it could read its own files, chipset's SDK and the node_modules/chipset link.
    await expect(host.call("read", [join(dirA, "a.txt")])).resolves.toBe("from A");
    await expect(host.call("read", [join(dirB, "b.txt")])).rejects.toMatchObject({
      code: "ERR_ACCESS_DENIED",
    });
    await expect(host.call("write", [join(out, "o.txt"), "hi"])).resolves.toBe("written");
    expect(readFileSync(join(out, "o.txt"), "utf8")).toBe("hi");
    await expect(host.call("write", [join(dirA, "x.txt"), "no"])).rejects.toMatchObject({
      code: "ERR_ACCESS_DENIED",
    });
    await expect(host.call("spawn", [])).resolves.toBe("ERR_ACCESS_DENIED");
    await expect(host.call("thread", [])).resolves.toBe("ERR_ACCESS_DENIED");
  });

  it("may start child processes and workers when granted", async () => {
    const { host } = await h.started("process", fsModule, {
      permissions: { fsRead: [], fsWrite: [], childProcess: true, worker: true, env: [] },
    });
    await expect(host.call("spawn", [])).resolves.toBe("spawned");
    await expect(host.call("thread", [])).resolves.toBe("started");
  });

  it("refuses permissions for a worker host (only a process can enforce them)", () => {
    expect(() =>
      h.host("worker", fsModule, {
        permissions: { fsRead: [], fsWrite: [], childProcess: false, worker: false, env: [] },
      }),
    ).toThrow(expect.objectContaining({ code: ErrorCodes.ISOLATION_UNSUPPORTED }));
  });
});

describe("the Node flags of a process host", () => {
  it("are explicit: a heap limit, and one flag per granted path, however it is written", () => {
    expect(processExecArgv(undefined, undefined)).toEqual([]);
    expect(processExecArgv(64, undefined)).toEqual(["--max-old-space-size=64"]);
    const permissions = {
      fsRead: ["/a", "/b,c", "/a/"],
      fsWrite: ["/w"],
      childProcess: true,
      worker: false,
      env: [],
    };
    expect(processExecArgv(undefined, permissions, 20)).toEqual([
      "--experimental-permission",
      "--disable-warning=ExperimentalWarning",
      "--allow-fs-read=/a",
      "--allow-fs-read=/b,c",
      "--allow-fs-write=/w",
      "--allow-child-process",
    ]);
    expect(processExecArgv(undefined, permissions, 22)[0]).toBe("--permission");
  });
});

const signaller = `export const module = defineModule({ api: {
  // Signal 0 only checks that the signal could be sent: if the guard failed, nothing is killed.
  signal(target) {
    const pid = target === "host" ? process.pid : target === "group" ? -process.pid : target === "zero" ? 0 : process.ppid;
    try { return process.kill(pid, 0); } catch (e) { return { code: e.code, message: e.message }; }
  },
} });`;

describe("a worker module and the process that hosts it", () => {
  it("may not signal it, its process group or group 0 (CHIP_ERR_PERMISSION_DENIED); other processes it may", async () => {
    const { host } = await h.started("worker", signaller);
    for (const target of ["host", "group", "zero"])
      await expect(host.call("signal", [target])).resolves.toMatchObject({
        code: ErrorCodes.PERMISSION_DENIED,
        message: expect.stringMatching(/may not signal the process that hosts it/) as string,
      });
    await expect(host.call("signal", ["parent"])).resolves.toBe(true);
  });
});

const debuggerOpener = `import inspector from "node:inspector";
  import { open } from "node:inspector/promises";
  import { createRequire } from "node:module";
  const require = createRequire(import.meta.url);
  const attempt = (fn) => { try { fn(); return "opened"; } catch (e) { return { code: e.code, message: e.message }; } };
  export const module = defineModule({ api: {
    // Port 0: were the guard missing, the test would open a port, not take a fixed one.
    open(how) {
      if (how === "import") return attempt(() => inspector.open(0, "127.0.0.1"));
      if (how === "promises") return attempt(() => open(0, "127.0.0.1"));
      return attempt(() => require("node:inspector").open(0, "127.0.0.1"));
    },
  } });`;

describe("a worker module and the inspector of the process that hosts it", () => {
  it("may not open it, however it reaches it (CHIP_ERR_PERMISSION_DENIED)", async () => {
    const { host } = await h.started("worker", debuggerOpener);
    for (const how of ["import", "promises", "require"])
      await expect(host.call("open", [how]), how).resolves.toMatchObject({
        code: ErrorCodes.PERMISSION_DENIED,
        message: expect.stringMatching(/may not open the inspector of the process that hosts it/) as string,
      });
  });
});
