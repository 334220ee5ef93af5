import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { EnvironmentReport, Verdict } from "../../src/environment/EnvironmentReport.js";
import { CLI, chipset } from "./harness.js";

/** `chipset env --json` with `env` added to this process's environment. */
function envJson(env: Record<string, string> = {}): EnvironmentReport & {
  uid: number | null;
  protections: Record<string, { available: boolean; detail: string }>;
} {
  const run = spawnSync(process.execPath, [CLI, "env", "--json"], {
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout) as ReturnType<typeof envJson>;
}

// What this machine has, found here by other means than chipset's own detection.
const root = process.getuid?.() === 0;
const setpriv = ["/usr/bin/setpriv", "/bin/setpriv", "/usr/sbin/setpriv"].some((f) => existsSync(f));
const netns = spawnSync("unshare", ["--net", "--", "true"]).status === 0;
function canMakeCgroup(controller: string): boolean {
  if (process.platform !== "linux" || existsSync("/sys/fs/cgroup/cgroup.controllers")) return false;
  const line = readFileSync("/proc/self/cgroup", "utf8")
    .split("\n")
    .find((l) => l.split(":")[1]?.split(",").includes(controller));
  if (line === undefined) return false;
  const dir = join(
    "/sys/fs/cgroup",
    controller,
    line.split(":").slice(2).join(":"),
    `env-test-${process.pid}`,
  );
  try {
    mkdirSync(dir);
    rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

describe("chipset env", () => {
  it("says which protections of sandboxed modules this machine provides, as the machine really is", () => {
    const env = envJson();
    expect(env.node).toBe(process.version);
    expect(env.platform).toBe(process.platform);
    expect(env.uid).toBe(process.getuid?.() ?? null);
    const p = env.protections;
    expect(p.permissionModel!.available).toBe(true);
    expect(p.unprivilegedUser).toEqual(
      root && setpriv
        ? { available: true, detail: "uid 65534, gid 65534" }
        : { available: false, detail: expect.any(String) as string },
    );
    if (!root) expect(p.unprivilegedUser!.detail).toMatch(/not root and no CAP_SETUID/);
    expect(p.networkNamespace!.available).toBe(netns);
    expect(p.cgroupMemory!.available).toBe(canMakeCgroup("memory"));
    expect(p.cgroupPids!.available).toBe(canMakeCgroup("pids"));
    expect(p.cgroupCpu!.available).toBe(canMakeCgroup("cpu"));
    expect(p.procMemory!.available).toBe(existsSync("/proc/self/status"));
    for (const protection of Object.values(p)) expect(protection.detail).not.toBe("");
  });

  it.runIf(root && setpriv)(
    "runs modules as the user CHIPSET_SANDBOX_USER names, or as the runtime's with off",
    () => {
      expect(envJson({ CHIPSET_SANDBOX_USER: "1000:1001" }).protections.unprivilegedUser).toEqual({
        available: true,
        detail: "uid 1000, gid 1001",
      });
      expect(envJson({ CHIPSET_SANDBOX_USER: "off" }).protections.unprivilegedUser).toEqual({
        available: false,
        detail: "turned off (CHIPSET_SANDBOX_USER=off)",
      });
      expect(envJson({ CHIPSET_SANDBOX_USER: "0" }).protections.unprivilegedUser!.detail).toMatch(
        /CHIPSET_SANDBOX_USER=0 is not "off", "uid" or "uid:gid" with numbers other than 0/,
      );
    },
  );

  it("prints one line per protection for people", async () => {
    const result = await chipset(["env"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^node +${process.version.replaceAll(".", "\\.")}$`, "m"));
    expect(result.stdout).toMatch(/^unprivileged user +(yes|no) +\S/m);
    expect(result.stdout).toMatch(/^network namespace +(yes|no) +\S/m);
    expect(result.stdout).toMatch(/^memory from \/proc +(yes|no) +\S/m);
  });

  it("says what the machine is, each verdict with its evidence, what Chipset can do here and the defaults adapted to it", () => {
    const env = envJson({ GITHUB_ACTIONS: "true" });
    for (const verdict of Object.values(env.verdicts) as Verdict[])
      expect(verdict.evidence.length).toBeGreaterThan(0);
    expect(env.verdicts.ci).toEqual({
      value: "github-actions",
      detected: true,
      evidence: [{ source: "env GITHUB_ACTIONS", found: '"true"' }],
    });
    // A child is really started to find out.
    expect(env.capabilities.childProcesses).toMatchObject({ available: true, tried: true });
    expect(env.capabilities.threads.available).toBe(true);
    expect(env.capabilities.cpu.parallelism).toBeGreaterThan(0);
    expect(env.defaults.replicasMax.value).toBeGreaterThanOrEqual(1);
    expect(env.defaults.processIsolation.value).toBe("process");
  });

  it("prints the verdicts, the capability matrix and the adapted defaults as tables", async () => {
    const result = await chipset(["env"], { env: { ...process.env, GITHUB_ACTIONS: "true" } });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ci +github-actions +env GITHUB_ACTIONS: "true"$/m);
    expect(result.stdout).toMatch(/^machine +(bare metal|virtual machine|unknown)/m);
    expect(result.stdout).toMatch(/^worker threads +yes +\S/m);
    expect(result.stdout).toMatch(/^child processes +yes +\S/m);
    expect(result.stdout).toMatch(/^replicas\.max +\d+ +adapted +\S/m);
  });
});
