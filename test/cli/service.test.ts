import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CLI, collect, tempDir, type CliResult } from "./harness.js";

let tmp: { dir: string; cleanup: () => Promise<void> };
const units = () => join(tmp.dir, "units");
const unitFile = () => join(units(), "chipset.service");
const calls = () => join(tmp.dir, "systemctl.log");
const fakeBin = () => join(tmp.dir, "bin");

beforeEach(async () => {
  tmp = await tempDir("service");
  await mkdir(fakeBin());
});
afterEach(() => tmp.cleanup());

/**
 * A `systemctl` on PATH that logs its arguments and exits with `status` (printing `say` on
 * stderr): this machine's tests must not enable units of the real systemd.
 */
async function fakeSystemctl(status = 0, say = ""): Promise<void> {
  await writeFile(join(tmp.dir, "systemctl.says"), say);
  const script = `#!/bin/sh\necho "$*" >> '${calls()}'\nread -r said < '${join(tmp.dir, "systemctl.says")}'\necho "$said" >&2\nexit ${status}\n`;
  await writeFile(join(fakeBin(), "systemctl"), script);
  await chmod(join(fakeBin(), "systemctl"), 0o755);
}

/** The systemctl invocations the fake saw, one per line. */
function systemctlCalls(): string[] {
  return existsSync(calls()) ? readFileSync(calls(), "utf8").trim().split("\n") : [];
}

/** Runs the CLI in the temp dir with only the fake bin directory on PATH. */
function chipset(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return collect(
    spawn(process.execPath, [CLI, ...args], {
      cwd: tmp.dir,
      env: { ...process.env, PATH: fakeBin(), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
}

/** `systemd-analyze verify` of one unit file: its exit status and everything it said (warnings too). */
function verify(file: string, scope: "system" | "user"): { status: number | null; said: string } {
  const runtimeDir = join(tmp.dir, "xdg-runtime");
  spawnSync("mkdir", ["-m", "700", "-p", runtimeDir]);
  // A user manager's verify needs a runtime directory, even offline.
  const run = spawnSync(
    "systemd-analyze",
    ["verify", "--man=no", ...(scope === "user" ? ["--user"] : []), file],
    {
      encoding: "utf8",
      env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir },
    },
  );
  return { status: run.status, said: `${run.stdout}${run.stderr}`.trim() };
}

const hasSystemdAnalyze = spawnSync("systemd-analyze", ["--version"]).status === 0;

describe("chipset service install writes a systemd unit", () => {
  // CI installs systemd where the image lacks it (.ci/run); only another OS has no way to check.
  it.skipIf(process.platform !== "linux" && !hasSystemdAnalyze)(
    "that passes systemd-analyze verify, as a system and as a user unit, and a broken one does not",
    async () => {
      expect(hasSystemdAnalyze, "systemd-analyze is missing: apt-get install systemd").toBe(true);
      for (const scope of ["system", "user"] as const) {
        const printed = await chipset([
          "--data-dir",
          "my data",
          "service",
          "install",
          ...(scope === "user" ? ["--user"] : []),
          "--dry-run",
        ]);
        expect(printed.code, printed.stderr).toBe(0);
        const file = join(tmp.dir, `chipset-${scope}.service`);
        await writeFile(file, printed.stdout);
        expect(verify(file, scope)).toEqual({ status: 0, said: "" });

        // The check can fail: verify only warns about a bad setting, and the test takes its warning as a failure.
        const broken = join(tmp.dir, `broken-${scope}.service`);
        await writeFile(broken, printed.stdout.replace("Restart=on-failure", "Restart=sometimes"));
        expect(verify(broken, scope).said).toMatch(/restart specifier/);
      }
    },
  );

  it("runs the host of this data directory with absolute paths, and prints it with --dry-run without writing", async () => {
    const result = await chipset([
      "--data-dir",
      "data",
      "service",
      "install",
      "--dry-run",
      "--unit-dir",
      units(),
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `ExecStart=${process.execPath} ${CLI} --data-dir ${join(tmp.dir, "data")} start --http 127.0.0.1:7411\n`,
    );
    expect(result.stdout).toContain(`WorkingDirectory=${tmp.dir}\n`);
    expect(result.stderr).toContain(`would write ${unitFile()}`);
    expect(existsSync(unitFile())).toBe(false);
  });

  it("writes the unit, then reloads systemd and enables and starts it", async () => {
    await fakeSystemctl();
    const token = join(tmp.dir, "token");
    await writeFile(token, "a-token-of-at-least-16-characters");
    const result = await chipset([
      "--data-dir",
      "data",
      "service",
      "install",
      "--unit-dir",
      units(),
      "--http",
      "0.0.0.0:7411",
      "--token-file",
      "token",
      "--stop-timeout",
      "45",
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(systemctlCalls()).toEqual(["daemon-reload", "enable --now chipset.service"]);
    const unit = readFileSync(unitFile(), "utf8");
    expect(statSync(unitFile()).mode & 0o777).toBe(0o644);
    expect(unit).toContain(`start --http 0.0.0.0:7411 --token-file ${token}\n`);
    expect(unit).toContain("TimeoutStopSec=45\n");
    expect(result.stdout).toContain("journalctl -u chipset.service");
  });

  it("installs a user unit with systemctl --user in ~/.config/systemd/user", async () => {
    await fakeSystemctl();
    const home = join(tmp.dir, "home");
    const result = await chipset(["service", "install", "--user", "--name", "apps"], {
      HOME: home,
      XDG_CONFIG_HOME: "",
    });
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(join(home, ".config/systemd/user/apps.service"))).toBe(true);
    expect(systemctlCalls()).toEqual(["--user daemon-reload", "--user enable --now apps.service"]);
    expect(result.stdout).toContain("loginctl enable-linger");
  });

  it("with --no-enable writes the unit and runs no systemctl", async () => {
    await fakeSystemctl();
    const result = await chipset(["service", "install", "--unit-dir", units(), "--no-enable"]);
    expect(result.code).toBe(0);
    expect(existsSync(unitFile())).toBe(true);
    expect(systemctlCalls()).toEqual([]);
    expect(result.stdout).toContain("systemctl daemon-reload; systemctl enable --now chipset.service");
  });

  it("says what to run when systemd does not run here, keeps the unit, and fails with CHIP_ERR_SERVICE_FAILED", async () => {
    await fakeSystemctl(1, "System has not been booted with systemd as init system (PID 1). Can't operate.");
    const result = await chipset(["service", "install", "--unit-dir", units()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^CHIP_ERR_SERVICE_FAILED: wrote .*chipset\.service, but `systemctl daemon-reload` failed/,
    );
    expect(result.stderr).toContain("System has not been booted with systemd");
    expect(result.stderr).toContain(
      "finish with: systemctl daemon-reload; systemctl enable --now chipset.service",
    );
    expect(existsSync(unitFile())).toBe(true);
  });

  it("says so when there is no systemctl at all", async () => {
    const result = await chipset(["service", "install", "--unit-dir", units()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^CHIP_ERR_SERVICE_FAILED: .*systemctl was not found on PATH/);
  });

  it("replaces its own unit, but not one it did not write unless --force", async () => {
    await fakeSystemctl();
    expect((await chipset(["service", "install", "--unit-dir", units()])).code).toBe(0);
    expect((await chipset(["service", "install", "--unit-dir", units(), "--stop-timeout", "9"])).code).toBe(
      0,
    );
    expect(readFileSync(unitFile(), "utf8")).toContain("TimeoutStopSec=9\n");

    const theirs = "[Unit]\nDescription=someone else's\n";
    await writeFile(unitFile(), theirs);
    const refused = await chipset(["service", "install", "--unit-dir", units()]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^CHIP_ERR_SERVICE_FAILED: .* was not written by `chipset service install`/,
    );
    expect(readFileSync(unitFile(), "utf8")).toBe(theirs);
    expect((await chipset(["service", "uninstall", "--unit-dir", units()])).code).toBe(1);
    expect(readFileSync(unitFile(), "utf8")).toBe(theirs);

    expect((await chipset(["service", "install", "--unit-dir", units(), "--force"])).code).toBe(0);
    expect(readFileSync(unitFile(), "utf8")).not.toBe(theirs);
  });

  it("refuses an address other machines reach without a token file, writing nothing", async () => {
    const result = await chipset(["service", "install", "--unit-dir", units(), "--http", "0.0.0.0:7411"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^CHIP_ERR_CLI_USAGE: --http 0\.0\.0\.0:7411 can be reached from other machines/,
    );
    expect(existsSync(units())).toBe(false);
  });
});

describe("chipset service uninstall", () => {
  it("disables and stops the unit, removes it and reloads systemd", async () => {
    await fakeSystemctl();
    await chipset(["service", "install", "--unit-dir", units()]);
    await writeFile(calls(), "");
    const result = await chipset(["service", "uninstall", "--unit-dir", units()]);
    expect(result.code, result.stderr).toBe(0);
    expect(systemctlCalls()).toEqual(["disable --now chipset.service", "daemon-reload"]);
    expect(existsSync(unitFile())).toBe(false);
    expect(result.stdout).toContain(`removed ${unitFile()}`);
  });

  it("keeps the unit when systemctl fails, unless --force", async () => {
    await fakeSystemctl();
    await chipset(["service", "install", "--unit-dir", units()]);
    await fakeSystemctl(1, "Failed to connect to bus");
    const kept = await chipset(["service", "uninstall", "--unit-dir", units()]);
    expect(kept.code).toBe(1);
    expect(kept.stderr).toMatch(/^CHIP_ERR_SERVICE_FAILED: `systemctl disable --now chipset.service` failed/);
    expect(existsSync(unitFile())).toBe(true);
    const forced = await chipset(["service", "uninstall", "--unit-dir", units(), "--force"]);
    expect(forced.code).toBe(0);
    expect(existsSync(unitFile())).toBe(false);
  });

  it("has nothing to do when there is no unit", async () => {
    const result = await chipset(["service", "uninstall", "--unit-dir", units()]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("nothing to remove");
  });
});
