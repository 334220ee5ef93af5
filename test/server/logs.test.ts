import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hostHarness } from "./harness.js";

const h = hostHarness();

const record = (time: number, level: number, msg: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ level, time, pid: 1, hostname: "h", msg, ...extra });

describe("GET /v1/logs on a served runtime", () => {
  it("answers CHIP_ERR_LOGS_NOT_KEPT (404) when the host was not told of a log file", async () => {
    const rt = h.open();
    await h.serve(rt);
    const { status, body } = await h.get<{ code: string; message: string }>("/v1/logs");
    expect(status).toBe(404);
    expect(body.code).toBe("CHIP_ERR_LOGS_NOT_KEPT");
    expect(body.message).toMatch(/writes no log file/);
  });

  it("reads the rotated files before the current one, skips a torn line, and keeps Chipset's own records with module null", async () => {
    const dir = join(h.ws.dataDir, "logs");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "modules.log");
    writeFileSync(`${file}.1`, `${record(1_000, 30, "older", { module: "svc@1.0.0" })}\n`);
    writeFileSync(
      file,
      [
        record(2_000, 40, "an event listener threw", { err: { type: "Error", message: "boom" } }),
        record(3_000, 30, "newer", { module: "svc@1.0.0", stream: "stdout" }),
        '{"level":30,"ti',
      ].join("\n"),
    );
    const rt = h.open();
    await h.serve(rt, { logs: { file } });
    const { status, body } = await h.get<{ entries: unknown[]; file: string }>("/v1/logs");
    expect(status).toBe(200);
    expect(body).toEqual({
      file,
      entries: [
        { time: 1_000, level: "info", module: "svc", version: "1.0.0", msg: "older", fields: {} },
        {
          time: 2_000,
          level: "warn",
          module: null,
          version: null,
          msg: "an event listener threw",
          fields: { err: { type: "Error", message: "boom" } },
        },
        {
          time: 3_000,
          level: "info",
          module: "svc",
          version: "1.0.0",
          msg: "newer",
          fields: { stream: "stdout" },
        },
      ],
    });
  });
});
