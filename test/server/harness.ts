import { afterEach } from "vitest";
import type { Runtime } from "../../src/index.js";
import { HostServer, type HostServerOptions } from "../../src/server/HostServer.js";
import { runtimeHarness, type RuntimeHarness } from "../support/runtimeHarness.js";

/** The token every test host is given. */
export const TOKEN = "test-token-0123456789abcdef";

/** A runtime with its HTTP API on a free loopback port, and requests to it. */
export interface HostHarness extends RuntimeHarness {
  /** Serves `runtime` on 127.0.0.1:0 (closed after the test, before the runtime). */
  serve(runtime: Runtime, options?: Partial<HostServerOptions>): Promise<HostServer>;
  /** `fetch` to the last server, with the bearer token unless `headers.authorization` is given ("" for none). */
  request(path: string, init?: RequestInit & { headers?: Record<string, string> }): Promise<Response>;
  /** POSTs `body` as JSON and answers the status and the JSON reply. */
  post<T = Record<string, unknown>>(path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** GETs `path` and answers the status and the JSON reply. */
  get<T = Record<string, unknown>>(path: string): Promise<{ status: number; body: T }>;
  /**
   * Writes `svc` (inline, eager; `echo(x)` answers `x`), opens a runtime on it and serves it;
   * starts the runtime unless `start` is false.
   */
  echoHost(options?: { start?: boolean }): Promise<{ rt: Runtime; server: HostServer }>;
}

/** {@link runtimeHarness} plus a host server per test. */
export function hostHarness(): HostHarness {
  const rt = runtimeHarness();
  let server: HostServer | undefined;
  // Registered after runtimeHarness's: vitest runs afterEach hooks in reverse, so the server closes first.
  afterEach(async () => {
    // fetch keeps idle sockets open for 4 s: cut them after 100 ms rather than wait (a host waits 5 s).
    await server?.close(100);
    server = undefined;
  });
  const request = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    if (headers["authorization"] === undefined) headers["authorization"] = `Bearer ${TOKEN}`;
    if (headers["authorization"] === "") delete headers["authorization"];
    return fetch(`${server!.url}${path}`, { ...init, headers });
  };
  const read = async <T>(res: Response): Promise<{ status: number; body: T }> => ({
    status: res.status,
    body: (await res.json()) as T,
  });
  return {
    get ws() {
      return rt.ws;
    },
    get log() {
      return rt.log;
    },
    open: (options) => rt.open(options),
    async serve(runtime, options = {}) {
      server = await HostServer.listen(runtime, { host: "127.0.0.1", port: 0, token: TOKEN, ...options });
      return server;
    },
    request,
    async post(path, body) {
      const init: RequestInit & { headers: Record<string, string> } = { method: "POST", headers: {} };
      if (body !== undefined) {
        init.body = JSON.stringify(body);
        init.headers["content-type"] = "application/json";
      }
      return read(await request(path, init));
    },
    async get(path) {
      return read(await request(path));
    },
    async echoHost({ start = true } = {}) {
      rt.ws.module({
        name: "svc",
        chipset: { activation: "eager" },
        code: `export const module = defineModule({ api: { echo: (x) => x } });`,
      });
      const runtime = rt.open();
      server = await HostServer.listen(runtime, { host: "127.0.0.1", port: 0, token: TOKEN });
      if (start) await runtime.start();
      return { rt: runtime, server };
    },
  };
}
