import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";

const run = promisify(execFile);
const script = join(import.meta.dirname, "fixtures", "inlineCrash.mjs");
let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

describe("crash containment for inline modules", () => {
  it("turns an error a module threw in a timer, or a rejection it left, into a crash of that module, and names a stall", async () => {
    dir = mkdtempSync(join(tmpdir(), "chipset-inline-"));
    const { stdout } = await run(process.execPath, [script, dir, "owned"]);
    const result = JSON.parse(stdout) as {
      events: Array<Record<string, string | undefined>>;
      inits: number;
      steady: string;
    };
    const crashes = result.events.filter((e) => e.name === "module.crashed");
    expect(crashes).toEqual([
      expect.objectContaining({
        id: "flaky",
        kind: "uncaught-exception",
        code: "CHIP_ERR_MODULE_CRASHED",
        cause: "boom in a timer",
      }),
      expect.objectContaining({ id: "flaky", kind: "unhandled-rejection", cause: "nobody awaits me" }),
    ]);
    expect(result.events.filter((e) => e.name === "module.restarted")).toHaveLength(2);
    expect(result.events.find((e) => e.name === "module.stalled")).toMatchObject({
      id: "flaky",
      method: "spin",
    });
    expect(result.inits).toBe(3); // initialised afresh by each restart
    expect(result.steady).toBe("pong");
  });

  it("leaves an error no module owns to Node: the process still ends with it", async () => {
    dir = mkdtempSync(join(tmpdir(), "chipset-inline-"));
    const failure = await run(process.execPath, [script, dir, "unowned"]).then(
      () => expect.unreachable("the process should have ended with the error"),
      (e: unknown) => e as { code: number; stderr: string },
    );
    expect(failure.code).toBe(1);
    expect(failure.stderr).toContain("a bug in the application itself");
  });

  it("leaves an error no module owns to Node also when two runtimes, each with its trap, are open", async () => {
    dir = mkdtempSync(join(tmpdir(), "chipset-inline-"));
    const twoRuntimes = join(import.meta.dirname, "fixtures", "twoRuntimes.mjs");
    const failure = await run(process.execPath, [twoRuntimes, dir]).then(
      () => expect.unreachable("the process should have ended with the error"),
      (e: unknown) => e as { code: number; stdout: string; stderr: string },
    );
    expect(failure.stdout).toBe("");
    expect(failure.code).toBe(1);
    expect(failure.stderr).toContain("a bug in the application itself");
  });
});
