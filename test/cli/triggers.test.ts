import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  chipset,
  collect,
  FREE_PORT,
  json,
  spawnCli,
  tempDir,
  waitForOutput,
  writeModule,
} from "./harness.js";

let tmp: { dir: string; cleanup: () => Promise<void> };
let child: ChildProcess | undefined;
let moduleDir: string;
const data = () => join(tmp.dir, "data");

interface Listed {
  source: "host" | "registry";
  triggers: Array<Record<string, unknown>>;
}

beforeEach(async () => {
  tmp = await tempDir("triggers");
  moduleDir = await writeModule(join(tmp.dir, "modules"), {
    name: "reports",
    version: "1.0.0",
    chipset: {
      kind: "service",
      triggers: [
        { cron: "0 9 * * *", call: "daily" },
        { http: { method: "POST", path: "/hooks/report" }, call: "report" },
      ],
    },
    code: `import { defineModule } from "chipset/module";
export const module = defineModule({ api: { daily() {}, report(body) { return { got: body }; } } });`,
  });
  await writeFile(
    join(tmp.dir, "chipset.config.json"),
    JSON.stringify({ moduleDirs: ["./modules"], triggers: { timeZone: "Europe/Paris" } }),
  );
});
afterEach(async () => {
  if (child?.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  child = undefined;
  await tmp.cleanup();
});

describe("chipset triggers", () => {
  it("lists each trigger with its next run in the configured time zone, from the registry when no host runs", async () => {
    expect((await chipset(["--data-dir", data(), "add", moduleDir], { cwd: tmp.dir })).code).toBe(0);
    const listed = json<Listed>(
      await chipset(["--data-dir", data(), "triggers", "--json"], { cwd: tmp.dir }),
    );
    expect(listed.source).toBe("registry");
    expect(listed.triggers).toMatchObject([
      { id: "reports", kind: "cron", cron: "0 9 * * *", timeZone: "Europe/Paris", call: "daily", last: null },
      { id: "reports", kind: "http", method: "POST", path: "/t/hooks/report", call: "report", last: null },
    ]);
    const next = new Date(listed.triggers[0]!["nextRun"] as string);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(next.toLocaleString("sv-SE", { timeZone: "Europe/Paris" })).toMatch(/ 09:00:00$/);

    const text = await chipset(["--data-dir", data(), "triggers"], { cwd: tmp.dir });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /reports@1\.0\.0 +cron 0 9 \* \* \* +daily +\d{4}-\d\d-\d\d 09:00:00 Europe\/Paris +unknown/,
    );
    expect(text.stdout).toMatch(/POST \/t\/hooks\/report +report/);
  });

  it("shows the last outcome from a running host", async () => {
    child = spawnCli(["--data-dir", data(), "start", ...FREE_PORT], { cwd: tmp.dir });
    await waitForOutput(child, /chipset is running/);
    const host = JSON.parse(readFileSync(join(data(), "host.json"), "utf8")) as {
      url: string;
      token: string;
    };
    const res = await fetch(`${host.url}/t/hooks/report`, {
      method: "POST",
      headers: { authorization: `Bearer ${host.token}`, "content-type": "application/json" },
      body: JSON.stringify({ week: 12 }),
    });
    expect(await res.json()).toEqual({ got: { week: 12 } });
    const listed = json<Listed>(
      await chipset(["--data-dir", data(), "triggers", "--json"], { cwd: tmp.dir }),
    );
    expect(listed.source).toBe("host");
    expect(listed.triggers[1]).toMatchObject({ kind: "http", fired: 1, last: { ok: true } });
    const offline = json<Listed>(
      await chipset(["--data-dir", data(), "triggers", "--json", "--offline"], { cwd: tmp.dir }),
    );
    expect(offline).toMatchObject({ source: "registry", triggers: [{ last: null }, { last: null }] });
    child.kill("SIGINT");
    expect((await collect(child)).code).toBe(0);
  });
});
