// POST /v1/shutdown: the route `chipset shutdown` (and a remote client) stops a host with.
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { hostHarness } from "./harness.js";

const h = hostHarness();

/** A served runtime whose shutdown requests are counted, and a promise of the first. */
async function served() {
  const rt = h.open();
  let requests = 0;
  let requested!: () => void;
  const first = new Promise<void>((resolve) => (requested = resolve));
  await h.serve(rt, {
    onShutdown: () => {
      requests++;
      requested();
    },
  });
  return { requests: () => requests, first };
}

describe("POST /v1/shutdown", () => {
  it("answers 202 with the host's pid, then asks the host to stop, each time it is called", async () => {
    const host = await served();
    const reply = await h.post("/v1/shutdown");
    expect(reply).toEqual({ status: 202, body: { pid: process.pid, stopping: true } });
    await host.first;
    expect((await h.post("/v1/shutdown", {})).status).toBe(202);
    expect(host.requests()).toBe(2);
  });

  it("needs the token and refuses options it does not know, asking nothing of the host", async () => {
    const host = await served();
    const anonymous = await h.request("/v1/shutdown", { method: "POST", headers: { authorization: "" } });
    expect(anonymous.status).toBe(401);
    const unknown = await h.post("/v1/shutdown", { force: true });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ code: "CHIP_ERR_REQUEST_INVALID" });
    expect(host.requests()).toBe(0);
  });

  it("is in the OpenAPI document, described validly", async () => {
    await served();
    const { body: doc } = await h.get<{ paths: Record<string, unknown> }>("/openapi.json");
    expect(Object.keys(doc.paths)).toContain("/v1/shutdown");
    const result = await new Validator().validate(doc);
    // Only this route's part: the document's validity as a whole is the API's own tests' concern.
    const errors = (Array.isArray(result.errors) ? result.errors : []) as Array<{ instancePath: string }>;
    const own = errors.filter((e) => e.instancePath.startsWith("/paths/~1v1~1shutdown"));
    expect(own).toEqual([]);
  });

  it("is not served by a server that was given no way to stop its host", async () => {
    await h.serve(h.open());
    expect((await h.post("/v1/shutdown")).status).toBe(404);
  });
});
