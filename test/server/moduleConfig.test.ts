import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ErrorCodes } from "../../src/index.js";
import { hostHarness } from "./harness.js";

const h = hostHarness();

interface ConfigView {
  id: string;
  version: string;
  config: Record<string, unknown>;
  redacted: string[];
  source: string;
  key: string | null;
  live: boolean;
  problem: { code: string; message: string } | null;
}

const configSchema = {
  type: "object",
  properties: {
    url: { type: "string" },
    retries: { type: "integer", default: 3 },
    dsn: { type: "string", writeOnly: true },
    auth: { type: "object", properties: { user: { type: "string" }, apiKey: { type: "string" } } },
  },
};

/** `db` (with `configSchema`), `plain` and `other` (with a default), and a config file giving db's entry only. */
function configured(dbEntry: Record<string, unknown>): string {
  h.ws.module({ name: "db", chipset: { configSchema } });
  h.ws.module({ name: "plain" });
  h.ws.module({
    name: "other",
    chipset: { configSchema: { type: "object", properties: { level: { type: "integer", default: 1 } } } },
  });
  const file = join(h.ws.root, "chipset.config.json");
  writeFileSync(file, JSON.stringify({ moduleDirs: ["./modules"], modules: { "db@^1.0.0": dbEntry } }));
  return file;
}

describe("GET /v1/modules/{ref}/config", () => {
  it("answers what the module is handed, defaults applied, secrets redacted, and the config file it came from", async () => {
    const file = configured({
      url: "https://db.local",
      dsn: "postgres://admin:hunter2@db",
      auth: { user: "me", apiKey: "k-123" },
    });
    const rt = h.open({ configFile: file });
    await h.serve(rt);
    const before = await h.get<ConfigView>("/v1/modules/db/config");
    expect(before.status).toBe(200);
    expect(before.body).toEqual({
      id: "db",
      version: "1.0.0",
      config: {
        url: "https://db.local",
        retries: 3,
        dsn: "[redacted]",
        auth: "[redacted]", // named like a secret: all of it
      },
      redacted: ["/dsn", "/auth"],
      source: file,
      key: "db@^1.0.0",
      live: false,
      problem: null,
    });
    expect(JSON.stringify(before.body)).not.toMatch(/hunter2|k-123/);

    await rt.start("db");
    const after = await h.get<ConfigView>("/v1/modules/db%401.0.0/config");
    expect(after.body).toEqual({ ...before.body, live: true });
  });

  it('answers "defaults" for a module the config gives nothing, and options for config given in code', async () => {
    const file = configured({ url: "x" });
    const rt = h.open({ configFile: file, config: { plain: { token: "t-1", level: 2 } } });
    await h.serve(rt);
    expect((await h.get<ConfigView>("/v1/modules/plain/config")).body).toMatchObject({
      config: { token: "[redacted]", level: 2 },
      redacted: ["/token"],
      source: "options",
      key: "plain",
    });
    expect((await h.get<ConfigView>("/v1/modules/other/config")).body).toMatchObject({
      config: { level: 1 },
      redacted: [],
      source: "defaults",
      key: null,
      problem: null,
    });
  });

  it("says why a configuration does not fit the schema without quoting its values", async () => {
    const file = configured({ url: 42, dsn: 12345678 });
    const rt = h.open({ configFile: file });
    await h.serve(rt);
    const { body } = await h.get<ConfigView>("/v1/modules/db/config");
    expect(body.problem?.code).toBe(ErrorCodes.CONFIG_INVALID);
    expect(body.problem?.message).toContain('"dsn"');
    expect(body.problem?.message).not.toContain("12345678");
    expect(body.config).toEqual({ url: 42, dsn: "[redacted]" });
  });

  it("never quotes a secret that does not fit the schema: neither in the call's error nor in /v1/errors", async () => {
    h.ws.module({
      name: "vault",
      chipset: {
        configSchema: {
          type: "object",
          properties: {
            pin: { type: "integer", writeOnly: true },
            sealed: { type: "object", writeOnly: true, properties: { code: { type: "integer" } } },
            unlockPassphrase: { type: "integer" },
            level: { type: "integer" },
          },
        },
      },
      code: "export const module = defineModule({ api: { ping() { return true; } } });",
    });
    const config = {
      pin: "S3cretPin",
      sealed: { code: "Xyzzy42" },
      unlockPassphrase: "Op3nSesame",
      level: "high",
    };
    const rt = h.open({ config: { vault: config } });
    await h.serve(rt);
    const err = await rt.call("vault", "ping").then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string; details: unknown },
    );
    expect(err?.code).toBe(ErrorCodes.CONFIG_INVALID);
    expect(err?.message).toContain('"pin" is invalid; expected an integer, found a value that does not fit');
    expect(err?.message).toContain('"sealed.code" is invalid');
    expect(err?.message).toContain('"unlockPassphrase" is invalid');
    expect(err?.message).toContain('"level" is invalid; expected an integer, found "high"'); // no secret: quoted
    const secrets = /S3cretPin|Xyzzy42|Op3nSesame/;
    expect(err?.message).not.toMatch(secrets);
    expect(JSON.stringify(err?.details)).not.toMatch(secrets);
    const errors = await h.get<{ errors: unknown[] }>("/v1/errors");
    expect(JSON.stringify(errors.body)).toContain(ErrorCodes.CONFIG_INVALID);
    expect(JSON.stringify(errors.body)).not.toMatch(secrets);
  });

  it("answers the coded 404 for an unknown module", async () => {
    await h.echoHost({ start: false });
    const { status, body } = await h.get<{ code: string }>("/v1/modules/nothing-here/config");
    expect(status).toBe(404);
    expect(body.code).toBe(ErrorCodes.MODULE_NOT_FOUND);
  });
});
