import { describe, expect, it } from "vitest";
import { hostHarness, TOKEN } from "./harness.js";
import { SseClient } from "./sseClient.js";

const h = hostHarness();
const auth = { authorization: `Bearer ${TOKEN}` };

function writeModules(): void {
  h.ws.module({
    name: "svc",
    code: `export const module = defineModule({
  async start() { if (globalThis.__failStart) throw new Error("start refused"); },
  api: { ping: () => "pong" },
});`,
  });
}

describe("GET /v1/events", () => {
  it("streams every runtime event with an increasing id, its name, and its JSON", async () => {
    writeModules();
    const rt = h.open();
    const server = await h.serve(rt);
    const sse = await SseClient.open(`${server.url}/v1/events`, auth);
    expect(sse.response.status).toBe(200);
    expect(sse.response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    await rt.start();
    await rt.call("svc", "ping");
    const started = await sse.until((e) => e.event === "module.started");
    expect(started.data).toMatchObject({ id: "svc", version: "1.0.0", host: { isolation: "inline" } });
    await sse.until((e) => e.event === "runtime.started");
    const ids = sse.received.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    sse.close();
  });

  it("sends a ChipsetError in an event as its JSON, with its code", async () => {
    writeModules();
    const rt = h.open();
    const server = await h.serve(rt);
    const sse = await SseClient.open(`${server.url}/v1/events`, auth);
    (globalThis as { __failStart?: boolean }).__failStart = true;
    try {
      await expect(rt.start("svc")).rejects.toThrow();
    } finally {
      delete (globalThis as { __failStart?: boolean }).__failStart;
    }
    const failed = await sse.until((e) => e.event === "module.failed");
    expect(failed.data).toMatchObject({
      id: "svc",
      command: "start",
      error: { name: "ChipsetError", code: "CHIP_ERR_HOOK_FAILED", category: "module" },
    });
    sse.close();
  });

  it("resumes after Last-Event-ID with the events the client missed, and only those", async () => {
    writeModules();
    const rt = h.open();
    const server = await h.serve(rt);
    const first = await SseClient.open(`${server.url}/v1/events`, auth);
    await rt.start("svc");
    const started = await first.until((e) => e.event === "module.started");
    first.close();
    await rt.stop("svc");
    await rt.unload("svc");
    const resumed = await SseClient.open(`${server.url}/v1/events`, {
      ...auth,
      "last-event-id": started.id!,
    });
    await resumed.until((e) => e.event === "module.unloaded");
    expect(resumed.received.map((e) => e.event).filter((n) => n !== "module.state")).toEqual([
      "module.stopped",
      "module.unloaded",
    ]);
    expect(Number(resumed.received[0]!.id)).toBe(Number(started.id) + 1);
    resumed.close();
  });

  it("says which events were lost when the buffer no longer holds them", async () => {
    writeModules();
    const rt = h.open();
    const server = await h.serve(rt, { events: { capacity: 3 } });
    const first = await SseClient.open(`${server.url}/v1/events`, auth);
    await rt.start("svc");
    const loaded = await first.until((e) => e.event === "module.loaded");
    first.close();
    await rt.stop("svc");
    await rt.unload("svc");
    const resumed = await SseClient.open(`${server.url}/v1/events`, { ...auth, "last-event-id": loaded.id! });
    const gap = await resumed.until((e) => e.event === "stream.gap");
    expect(gap.data).toMatchObject({ after: Number(loaded.id) });
    await resumed.until((e) => e.event === "module.unloaded");
    resumed.close();
  });

  it("refuses a client over the limit with 503 CHIP_ERR_EVENT_STREAMS_FULL, and takes one again when a stream closes", async () => {
    const rt = h.open();
    const server = await h.serve(rt, { events: { maxClients: 2 } });
    const a = await SseClient.open(`${server.url}/v1/events`, auth);
    const b = await SseClient.open(`${server.url}/v1/events`, auth);
    const refused = await fetch(`${server.url}/v1/events`, { headers: auth });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({
      code: "CHIP_ERR_EVENT_STREAMS_FULL",
      details: { maxClients: 2 },
    });
    a.close();
    b.close();
    // The server learns of the closes asynchronously: ask until it has room again.
    let again: Response;
    do again = await fetch(`${server.url}/v1/events`, { headers: auth });
    while (again.status === 503 && (await again.body?.cancel()) === undefined);
    expect(again.status).toBe(200);
    await again.body?.cancel();
  });

  it("ends open streams when the server closes", async () => {
    const rt = h.open();
    const server = await h.serve(rt);
    const sse = await SseClient.open(`${server.url}/v1/events`, auth);
    await server.close();
    await expect(sse.until(() => false)).rejects.toThrow(/the stream ended/);
  });
});
