import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCodes } from "../../src/errors/index.js";
import { EMPTY_UPDATE_CONFIG } from "../../src/updates/UpdateConfig.js";
import { UpdateSources } from "../../src/updates/UpdateSources.js";
import { refusal, tempDir } from "./fixtures.js";

let root: string;
/** A registry that takes requests and never answers them. */
let silent: http.Server;
let silentUrl: string;
let asked: () => void = () => undefined;

beforeAll(async () => {
  root = tempDir();
  silent = http.createServer(() => asked());
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  silent.closeAllConnections();
  await new Promise((resolve) => silent.close(resolve));
  fs.rmSync(root, { recursive: true, force: true });
});

/** The URL of a port nothing listens on (it listened a moment ago, then closed). */
async function deadUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/`;
}

function sourcesAt(registry: string, timeoutMs?: number): UpdateSources {
  return new UpdateSources(
    { ...EMPTY_UPDATE_CONFIG, sources: [{ registry }] },
    timeoutMs === undefined ? {} : { timeoutMs },
  );
}

describe("a source that cannot answer", () => {
  it("a source that is down fails with CHIP_ERR_SOURCE_FAILED naming the URL", async () => {
    const url = await deadUrl();
    const staging = path.join(root, "down");
    const err = await refusal(sourcesAt(url).fetch({ kind: "registry", name: "@acme/player" }, { staging }));
    expect(err.code).toBe(ErrorCodes.SOURCE_FAILED);
    expect(err.details).toMatchObject({
      reason: "unreachable",
      source: `${url}@acme%2fplayer`,
      package: "@acme/player",
      status: "ECONNREFUSED",
    });
    expect(err.message).toContain(`${url}@acme%2fplayer`);
    expect(err.message).toContain('Check the registry URL in "sources"');
    expect(err.transient).toBe(true);
    expect(fs.existsSync(staging)).toBe(false);
  });

  it("a registry that does not answer within timeoutMs fails with reason timeout", async () => {
    const err = await refusal(sourcesAt(silentUrl, 50).check({ kind: "registry", name: "player" }));
    expect(err.code).toBe(ErrorCodes.SOURCE_FAILED);
    expect(err.details).toMatchObject({ reason: "timeout", source: `${silentUrl}player` });
    expect(err.message).toContain("did not answer within 50 ms");
  });

  it("a fetch cancelled by its signal rejects with CHIP_ERR_ABORTED and leaves nothing behind", async () => {
    const controller = new AbortController();
    const reached = new Promise<void>((resolve) => (asked = resolve));
    const staging = path.join(root, "cancelled");
    const fetching = sourcesAt(silentUrl).fetch(
      { kind: "registry", name: "player" },
      { staging, signal: controller.signal },
    );
    await reached;
    controller.abort(new Error("the operator changed their mind"));
    const err = await refusal(fetching);
    expect(err.code).toBe(ErrorCodes.ABORTED);
    expect((err.cause as Error).message).toBe("the operator changed their mind");
    expect(fs.existsSync(staging)).toBe(false);
  });

  it("a name no source serves fails before any request, saying which source to add", async () => {
    const sources = new UpdateSources({
      ...EMPTY_UPDATE_CONFIG,
      sources: [{ registry: silentUrl, scope: "@acme" }],
    });
    const err = await refusal(sources.check({ kind: "registry", name: "@other/player" }));
    expect(err.details).toMatchObject({ reason: "no-source", package: "@other/player" });
    expect(err.message).toContain('"scope": "@other"');
  });
});
