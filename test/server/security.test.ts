import { createAjv } from "../../src/registry/createAjv.js";
import { describe, expect, it } from "vitest";
import { hostHarness, TOKEN } from "./harness.js";

const h = hostHarness();

describe("the bearer token", () => {
  it("is needed on every route but the probes: missing or wrong is 401 with WWW-Authenticate", async () => {
    await h.echoHost();
    for (const path of [
      "/v1/modules",
      "/v1/modules/svc",
      "/v1/errors",
      "/v1/events",
      "/v1/engines",
      "/v1/replicas",
      "/openapi.json",
      "/docs",
      "/nowhere",
    ]) {
      for (const authorization of ["", "Bearer wrong-token-wrong-token", `Basic ${TOKEN}`, TOKEN]) {
        const res = await h.request(path, { headers: { authorization } });
        expect(res.status, `${path} with "${authorization}"`).toBe(401);
        expect(res.headers.get("www-authenticate")).toBe('Bearer realm="chipset"');
        expect(await res.json()).toMatchObject({ code: "CHIP_ERR_UNAUTHORIZED" });
      }
    }
    for (const path of ["/livez", "/readyz", "/startupz"])
      expect((await h.request(path, { headers: { authorization: "" } })).status, path).toBe(200);
    expect((await h.request("/v1/modules")).status).toBe(200);
    expect((await h.request("/nowhere")).status).toBe(404);
  });

  it("changes nothing when it is wrong: a control action or a call is not run", async () => {
    const { rt } = await h.echoHost();
    const calls: string[] = [];
    rt.on("module.state", (e) => calls.push(`${e.id} ${e.command}`));
    const stop = await h.request("/v1/modules/svc/stop", {
      method: "POST",
      headers: { authorization: "Bearer nope" },
    });
    expect(stop.status).toBe(401);
    const call = await h.request("/v1/modules/svc/calls/echo", {
      method: "POST",
      headers: { authorization: "", "content-type": "application/json" },
      body: JSON.stringify({ args: [1] }),
    });
    expect(call.status).toBe(401);
    expect(calls).toEqual([]);
    expect(rt.queries.info("svc").state).toBe("running");
    expect(rt.instances()[0]!.calls).toBe(0);
  });
});

describe("requests", () => {
  it("are refused with 413 when the body is over 1 MiB, and the call is not made", async () => {
    const { rt } = await h.echoHost();
    const big = JSON.stringify({ args: ["x".repeat(1 << 20)] });
    const res = await h.request("/v1/modules/svc/calls/echo", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: big,
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: "CHIP_ERR_REQUEST_INVALID", details: { status: 413 } });
    expect(rt.instances()[0]!.calls).toBe(0);
  });

  it("get no CORS headers: a browser on another origin cannot read the answers", async () => {
    await h.echoHost();
    const get = await h.request("/v1/modules", { headers: { origin: "https://evil.example" } });
    expect(get.status).toBe(200);
    const preflight = await h.request("/v1/modules/svc/stop", {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    for (const res of [get, preflight])
      expect([...res.headers.keys()].filter((k) => k.startsWith("access-control-"))).toEqual([]);
    expect(preflight.status).toBe(404);
  });
});

describe("the OpenAPI document", () => {
  it("is OpenAPI 3 with every route, each with its responses, and schemas that compile", async () => {
    await h.echoHost();
    const res = await h.request("/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      info: { title: string; version: string };
      paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>>;
      components: { securitySchemes: Record<string, unknown> };
      security: unknown[];
    };
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info).toMatchObject({ title: "Chipset host API", version: expect.any(String) as string });
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(routes.sort()).toEqual(
      [
        "GET /livez",
        "GET /metrics",
        "GET /readyz",
        "GET /startupz",
        "GET /v1/errors",
        "GET /v1/events",
        "GET /v1/modules",
        "GET /v1/modules/{ref}",
        "GET /v1/modules/{ref}/resources",
        "GET /v1/modules/{ref}/config",
        "GET /v1/modules/{ref}/updates",
        "GET /v1/report",
        "GET /v1/environment",
        "GET /v1/system",
        "GET /v1/graph",
        "GET /v1/logs",
        "POST /v1/modules/{ref}/{action}",
        "POST /v1/modules/{ref}/calls/{method}",
        "POST /v1/modules/{ref}/rollback",
        "POST /v1/modules/{ref}/scale",
        "POST /v1/modules/{ref}/update",
        "GET /v1/triggers",
        "GET /v1/engines",
        "GET /v1/replicas",
        "POST /v1/dispatch/explain",
        "POST /v1/execute",
        "POST /v1/engines/{key}/calls/{method}",
        ...["DELETE", "GET", "PATCH", "POST", "PUT"].map((m) => `${m} /t/{*}`),
      ].sort(),
    );
    expect(doc.components.securitySchemes).toEqual({ bearer: { type: "http", scheme: "bearer" } });
    expect(doc.security).toEqual([{ bearer: [] }]);
    const ajv = createAjv({ strict: false });
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops)) {
        expect(Object.keys(op.responses).length, `${method} ${path}`).toBeGreaterThan(0);
        if (["/livez", "/readyz", "/startupz"].includes(path)) expect(op.security, path).toEqual([]);
        for (const schema of collectSchemas(op))
          expect(() => ajv.compile(schema), `${method} ${path}`).not.toThrow();
      }
  });

  it("is browsable at /docs", async () => {
    await h.echoHost();
    const res = await h.request("/docs/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
  });
});

/** Every `schema` object in an OpenAPI operation (parameters, request body, responses). */
function collectSchemas(node: unknown): object[] {
  if (typeof node !== "object" || node === null) return [];
  const own =
    "schema" in node && typeof node.schema === "object" && node.schema !== null ? [node.schema] : [];
  return [...own, ...Object.values(node).flatMap(collectSchemas)];
}
