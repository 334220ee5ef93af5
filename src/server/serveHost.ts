import type { Runtime } from "../runtime/Runtime.js";
import { newToken } from "./BearerToken.js";
import { removeHostFile, writeHostFile } from "./hostFile.js";
import { HostServer, type HostServerOptions } from "./HostServer.js";

/** What {@link serveHost} takes: {@link HostServerOptions} with the token made up when not given. */
export interface ServeHostOptions extends Omit<HostServerOptions, "token"> {
  /** The bearer token clients must send. Default: 32 random bytes, base64url. */
  token?: string;
}

/** A host served by {@link serveHost}: where, with which token, and how to stop serving. */
export interface ServedHost {
  /** The URL the API serves at, with the port it got (`http://127.0.0.1:7411`). */
  readonly url: string;
  /** The bearer token, also in `<data-dir>/host.json`. */
  readonly token: string;
  /**
   * Stops serving: requests under way get `graceMs` (default 5 000 ms). Call it before
   * `runtime.close()`. `host.json` stays until the runtime has stopped: the data directory is
   * this host's while its modules stop (a second host is refused, `chipset shutdown` waits).
   * Idempotent.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Serves `runtime`'s HTTP API (see {@link HostServer}) and names it in `<data-dir>/host.json`
 * (`{ url, pid, token, startedAt }`, mode 0600) until the runtime has stopped, so that the
 * `chipset` command line run from another terminal against the same data directory reaches
 * this host. Throws
 * `CHIP_ERR_HOST_RUNNING` when another live host serves the data directory, and
 * `CHIP_ERR_LISTEN_FAILED` when the address cannot be used; nothing is left behind either way.
 */
export async function serveHost(runtime: Runtime, options: ServeHostOptions = {}): Promise<ServedHost> {
  const token = options.token ?? newToken();
  const server = await HostServer.listen(runtime, { ...options, token });
  const dataDir = runtime.dataDir;
  try {
    writeHostFile(dataDir, { url: server.url, pid: process.pid, token, startedAt: new Date().toISOString() });
  } catch (err) {
    await server.close();
    throw err;
  }
  const stopped = runtime.on("runtime.stopped", () => {
    stopped.dispose();
    removeHostFile(dataDir);
  });
  return {
    url: server.url,
    token,
    close: (graceMs?: number) => server.close(graceMs),
  };
}
