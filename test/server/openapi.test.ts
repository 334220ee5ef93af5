import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { createAjv } from "../../src/registry/createAjv.js";
import { hostHarness } from "./harness.js";

const h = hostHarness();

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: object }> }>;
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}

/**
 * A host serving `svc` (inline, eager) and `calc`, a worker engine of type "calc" with replicas
 * (lazy), with its document read from `/openapi.json`.
 */
async function served() {
  h.ws.module({
    name: "calc",
    chipset: {
      isolation: "worker",
      replicas: { min: 1, max: 2 },
      engine: { type: "calc", capabilities: ["math"], labels: { zone: "a" } },
    },
    code: `export const module = defineModule({ api: { add: (a, b) => a + b, nothing() {} } });`,
  });
  const { rt, server } = await h.echoHost({ start: false });
  const { status, body } = await h.get<OpenApiDocument>("/openapi.json");
  expect(status).toBe(200);
  return { rt, server, doc: body };
}

/** Fastify's `/v1/modules/:ref` and `/t/*` as OpenAPI writes them: `/v1/modules/{ref}`, `/t/{*}`. */
const openApiPath = (url: string) => url.replace(/:(\w+)/g, "{$1}").replace(/\/\*$/, "/{*}");

/** The documented response for `status`: its own entry, else its range (`4XX`), else `default`. */
function documented(op: Operation, status: number): Operation["responses"][string] | undefined {
  return op.responses[String(status)] ?? op.responses[`${String(status)[0]}XX`] ?? op.responses["default"];
}

describe("the OpenAPI document at /openapi.json", () => {
  it("is a valid OpenAPI document: the validator reports no errors", async () => {
    const { doc } = await served();
    const result = await new Validator().validate({ ...doc });
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("documents every route the server serves (but its own pages), each with its responses", async () => {
    const { server, doc } = await served();
    const served_ = server.routes.filter((r) => !r.hidden && r.method !== "HEAD");
    expect(served_.length).toBeGreaterThanOrEqual(12);
    for (const { method, url } of served_) {
      const op = doc.paths[openApiPath(url)]?.[method.toLowerCase()];
      expect(op, `${method} ${url} is not in the document`).toBeDefined();
      expect(Object.keys(op!.responses).length, `${method} ${url}`).toBeGreaterThan(0);
    }
    // And nothing documented that is not served.
    const routes = new Set(served_.map((r) => `${r.method.toLowerCase()} ${openApiPath(r.url)}`));
    for (const [path, ops] of Object.entries(doc.paths))
      for (const method of Object.keys(ops))
        expect(routes, `${method} ${path}`).toContain(`${method} ${path}`);
  });

  it("documents the status and the body of what the routes actually answer", async () => {
    const { rt, doc } = await served();
    const ajv = createAjv({ strict: false });
    const seen: string[] = [];
    /** Asks, and checks the answer against the document: the status is listed and the body fits its schema. */
    const check = async (
      method: "get" | "post",
      route: string,
      path: string,
      expected: number,
      init: { body?: unknown; authorization?: string } = {},
    ) => {
      const res = await h.request(path, {
        method: method.toUpperCase(),
        headers: {
          ...(init.authorization === undefined ? {} : { authorization: init.authorization }),
          ...(init.body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
      expect(res.status, `${method} ${path}`).toBe(expected);
      const op = doc.paths[route]![method]!;
      const response = documented(op, res.status);
      expect(response, `${method} ${route} does not document ${res.status}`).toBeDefined();
      const type = res.headers.get("content-type")!.split(";")[0]!;
      const schema = response!.content?.[type]?.schema;
      expect(schema, `${method} ${route} ${res.status} does not document ${type}`).toBeDefined();
      if (type === "application/json") {
        const validate = ajv.compile(schema!);
        const body: unknown = await res.json();
        expect(validate(body), `${method} ${path} ${res.status}: ${JSON.stringify(validate.errors)}`).toBe(
          true,
        );
      } else await res.body?.cancel();
      seen.push(`${method} ${route} ${res.status}`);
    };

    await check("get", "/startupz", "/startupz", 503, { authorization: "" });
    await rt.start();
    await check("get", "/startupz", "/startupz", 200, { authorization: "" });
    await check("get", "/livez", "/livez", 200, { authorization: "" });
    await check("get", "/readyz", "/readyz", 200, { authorization: "" });
    await check("get", "/v1/modules", "/v1/modules", 200);
    await check("get", "/v1/modules", "/v1/modules", 401, { authorization: "" });
    await check("get", "/v1/modules/{ref}", "/v1/modules/svc", 200);
    await check("get", "/v1/modules/{ref}", "/v1/modules/nothing-here", 404);
    await check("post", "/v1/modules/{ref}/calls/{method}", "/v1/modules/svc/calls/echo", 200, {
      body: { args: [{ a: 1 }] },
    });
    await check("post", "/v1/modules/{ref}/calls/{method}", "/v1/modules/svc/calls/nope", 404, {
      body: { args: [] },
    });
    await check("post", "/v1/modules/{ref}/calls/{method}", "/v1/modules/svc/calls/echo", 400, {
      body: { args: "not an array" },
    });
    await check("post", "/v1/modules/{ref}/{action}", "/v1/modules/svc/resume", 409);
    await check("post", "/v1/modules/{ref}/{action}", "/v1/modules/svc/explode", 400);
    await check("post", "/v1/modules/{ref}/rollback", "/v1/modules/svc/rollback", 404);
    await check("post", "/v1/modules/{ref}/scale", "/v1/modules/svc/scale", 400, { body: { count: 2 } });
    await check("post", "/v1/modules/{ref}/scale", "/v1/modules/svc/scale", 400, { body: { count: 0 } });
    await check("post", "/v1/modules/{ref}/{action}", "/v1/modules/svc/stop", 200);
    await check("get", "/v1/errors", "/v1/errors?limit=5", 200);
    await check("get", "/v1/events", "/v1/events", 200);
    await check("get", "/metrics", "/metrics", 200);
    await check("get", "/metrics", "/metrics", 401, { authorization: "" });
    rt.resources.sampleNow();
    await check("get", "/v1/report", "/v1/report?since=1h&module=svc", 200);
    await check("get", "/v1/report", "/v1/report?since=yesterday", 400);
    await check("get", "/v1/modules/{ref}/resources", "/v1/modules/svc/resources?since=15m", 200);
    rt.resources.sampleNow(); // two readings: the module views carry a sample
    await check("get", "/v1/modules", "/v1/modules", 200);
    await check("get", "/v1/system", "/v1/system", 200);
    await check("get", "/v1/environment", "/v1/environment", 200);
    await check("get", "/v1/graph", "/v1/graph", 200);
    await check("get", "/v1/modules/{ref}/config", "/v1/modules/svc/config", 200);
    await check("get", "/v1/modules/{ref}/config", "/v1/modules/nothing-here/config", 404);
    await check("get", "/v1/modules/{ref}/updates", "/v1/modules/svc/updates?limit=5", 200);
    await check("get", "/v1/modules/{ref}/updates", "/v1/modules/svc/updates?limit=0", 400);
    // Engines and replicas (docs/dispatch.md): the pool starts on its first execute.
    await check("post", "/v1/execute", "/v1/execute", 200, {
      body: { request: { type: "calc", capabilities: ["math"] }, method: "add", args: [40, 2] },
    });
    await check("post", "/v1/execute", "/v1/execute", 404, {
      body: { request: { type: "onnx" }, method: "add" },
    });
    await check("post", "/v1/execute", "/v1/execute", 400, {
      body: { request: {}, method: "add", extra: 1 },
    });
    await check("post", "/v1/engines/{key}/calls/{method}", "/v1/engines/calc%401.0.0/calls/nothing", 200, {
      body: {},
    });
    await check("post", "/v1/engines/{key}/calls/{method}", "/v1/engines/svc%401.0.0/calls/echo", 404, {
      body: { args: [1] },
    });
    await check("get", "/v1/engines", "/v1/engines", 200);
    await check("get", "/v1/replicas", "/v1/replicas", 200);
    await check("post", "/v1/dispatch/explain", "/v1/dispatch/explain", 200, {
      body: { type: "calc", capabilities: ["math", "gpu"], labels: { zone: "a" }, key: "k" },
    });
    await check("post", "/v1/dispatch/explain", "/v1/dispatch/explain", 200, {
      body: { type: "calc", strategy: "capability", capabilities: ["gpu"] },
    });
    await check("post", "/v1/dispatch/explain", "/v1/dispatch/explain", 400, { body: { colour: "red" } });
    expect(seen).toHaveLength(42);
  });
});
