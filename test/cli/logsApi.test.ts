// `GET /v1/logs` on a real host (`chipset start`): the records its modules logged, read from the
// host's log files as `chipset logs` reads them, filtered by module and level.
import type { ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { readHostFile } from "../../src/server/hostFile.js";
import { FREE_PORT, spawnCli, stopHost, tempDir, waitForOutput, writeModule } from "./harness.js";

interface LogLine {
  time: number;
  level: string;
  module: string | null;
  version: string | null;
  msg: string;
  fields: Record<string, unknown>;
}

let tmp: { dir: string; cleanup: () => Promise<void> };
let data: string;
let host: ChildProcess | undefined;

/** A module that logs as it starts, and at the level asked on each call. */
const logger = (name: string) => `import { defineModule } from "chipset/module";
let log;
export const module = defineModule({
  start(ctx) { log = ctx.log; ctx.log.info({ step: 1 }, "${name} started"); },
  api: { say(level, text) { log[level]({ said: text.length }, text); return text; } },
});
`;

/** `GET path` on the host, with its token unless `token` is false. */
async function get(path: string, token = true): Promise<{ status: number; body: Record<string, unknown> }> {
  const file = readHostFile(data)!;
  const response = await fetch(`${file.url}${path}`, {
    headers: token ? { authorization: `Bearer ${file.token}` } : {},
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The entries of `GET path` once `until` holds of them (the host writes its file asynchronously). */
async function entriesUntil(path: string, until: (entries: LogLine[]) => boolean): Promise<LogLine[]> {
  let entries: LogLine[] = [];
  await vi.waitFor(
    async () => {
      const { status, body } = await get(path);
      expect(status).toBe(200);
      entries = body.entries as LogLine[];
      expect(until(entries)).toBe(true);
    },
    { timeout: 10_000, interval: 50 },
  );
  return entries;
}

async function call(id: string, level: string, text: string): Promise<void> {
  const file = readHostFile(data)!;
  const response = await fetch(`${file.url}/v1/modules/${id}/calls/say`, {
    method: "POST",
    headers: { authorization: `Bearer ${file.token}`, "content-type": "application/json" },
    body: JSON.stringify({ args: [level, text] }),
  });
  expect(response.status, await response.clone().text()).toBe(200);
}

beforeAll(async () => {
  tmp = await tempDir("logs-api");
  data = join(tmp.dir, "data");
  for (const name of ["alpha", "beta"])
    await writeModule(join(tmp.dir, "modules"), {
      name,
      version: "1.0.0",
      chipset: { kind: "tool", isolation: "worker", activation: "eager" },
      code: logger(name),
    });
  const config = join(tmp.dir, "chipset.config.json");
  await writeFile(config, JSON.stringify({ moduleDirs: ["./modules"], logs: { level: "debug" } }));
  host = spawnCli(["--data-dir", data, "--config", config, "--log-level", "silent", "start", ...FREE_PORT]);
  await waitForOutput(host, /chipset is running/);
}, 30_000);

afterAll(async () => {
  await stopHost(host);
  await tmp.cleanup();
});

describe("GET /v1/logs", () => {
  it("answers a module's records with their time, level, module, version, message and other fields, newest last", async () => {
    await call("alpha", "info", "first");
    await call("alpha", "info", "second");
    const entries = await entriesUntil("/v1/logs?module=alpha", (e) => e.some((l) => l.msg === "second"));
    expect(entries.every((l) => l.module === "alpha" && l.version === "1.0.0")).toBe(true);
    const started = entries.find((l) => l.msg === "alpha started")!;
    expect(started).toMatchObject({ level: "info", fields: { step: 1 } });
    expect(started.time).toBeGreaterThan(Date.now() - 60_000);
    const msgs = entries.map((l) => l.msg);
    expect(msgs.indexOf("first")).toBeLessThan(msgs.indexOf("second"));
    expect(entries.at(-1)).toMatchObject({ msg: "second", fields: { said: 6 } });
    const { body } = await get("/v1/logs?module=alpha");
    expect(body.file).toBe(join(data, "logs", "modules.log"));
  });

  it("keeps one module's records for its id or id@version, and every module's (Chipset's own too) without", async () => {
    await call("beta", "info", "beta speaks");
    const all = await entriesUntil("/v1/logs?lines=5000", (e) => e.some((l) => l.msg === "beta speaks"));
    expect(all.some((l) => l.module === "alpha")).toBe(true);
    expect(all.some((l) => l.module === "beta")).toBe(true);
    const beta = await entriesUntil("/v1/logs?module=beta@1.0.0", (e) =>
      e.some((l) => l.msg === "beta speaks"),
    );
    expect(beta.every((l) => l.module === "beta")).toBe(true);
    const other = await get("/v1/logs?module=beta@2.0.0");
    expect(other.body.entries).toEqual([]);
  });

  it("keeps the records at the level asked and above, and lines bounds how many (the newest)", async () => {
    await call("alpha", "debug", "quiet detail");
    await call("alpha", "warn", "disk nearly full");
    await call("alpha", "error", "disk full");
    const severe = await entriesUntil("/v1/logs?module=alpha&level=warn", (e) =>
      e.some((l) => l.msg === "disk full"),
    );
    expect(severe.map((l) => `${l.level} ${l.msg}`)).toEqual(["warn disk nearly full", "error disk full"]);
    const debug = await entriesUntil("/v1/logs?module=alpha&level=debug", (e) =>
      e.some((l) => l.msg === "quiet detail"),
    );
    expect(debug.find((l) => l.msg === "quiet detail")?.level).toBe("debug");
    const last = await get("/v1/logs?module=alpha&lines=1");
    expect((last.body.entries as LogLine[]).map((l) => l.msg)).toEqual(["disk full"]);
  });

  it("refuses a request without the token (401), and a bad level or line count (400) naming it", async () => {
    const anonymous = await get("/v1/logs", false);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe("CHIP_ERR_UNAUTHORIZED");
    for (const query of ["level=loud", "lines=0", "lines=5001"]) {
      const bad = await get(`/v1/logs?${query}`);
      expect(bad.status, query).toBe(400);
      expect(bad.body.code, query).toBe("CHIP_ERR_REQUEST_INVALID");
      expect(bad.body.message, query).toMatch(/level|lines/);
    }
  });
});
