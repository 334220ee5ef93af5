import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "chipset-soak-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Summary {
  crashes: Record<string, Record<string, number>>;
  calls: Record<string, { ok: number }>;
  checks: Array<{ name: string; ok: boolean; detail: string }>;
}

/** Runs the soak (against the built dist/) in its own process; resolves with its exit code and output. */
function soak(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--expose-gc", "soak/soak.mjs", ...args], { cwd: repo });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

/**
 * The crash kinds each host can suffer (docs/isolation.md; an inline module cannot hang, exit or
 * abort without ending the runtime). Written out here rather than read from the soak, so a kind
 * dropped from its schedule fails this test.
 */
const kinds = {
  inline: ["uncaught-exception", "unhandled-rejection"],
  worker: ["uncaught-exception", "unhandled-rejection", "hang", "heap-exhausted", "exit", "abort"],
  process: [
    "uncaught-exception",
    "unhandled-rejection",
    "hang",
    "heap-exhausted",
    "exit",
    "abort",
    "memory-limit",
    "killed",
  ],
};

describe("soak", () => {
  it("survives every kind of crash on every host under load, and leaves nothing behind", async () => {
    const json = join(dir, "summary.json");
    const { code, output } = await soak(["--seconds", "12", "--json", json]);
    expect(code, output).toBe(0);
    const summary = JSON.parse(readFileSync(json, "utf8")) as Summary;
    for (const [host, hostKinds] of Object.entries(kinds))
      for (const kind of hostKinds)
        expect(summary.crashes[host]?.[kind] ?? 0, `${host} ${kind}\n${output}`).toBeGreaterThan(0);
    expect(summary.calls.work!.ok).toBeGreaterThan(0);
    expect(summary.checks.filter((c) => !c.ok)).toEqual([]);
  });
});
