// Shared by the scripts beside it, which run in a fresh Node process: an isolated host of module
// `id`@1.0.0 from `dir/index.js`, taken from `pool` and loaded, with a bridge nothing uses.
import { join } from "node:path";
import { systemClock } from "../../../dist/common/Clock.js";
import { IsolatedHost } from "../../../dist/hosts/IsolatedHost.js";

/** Makes the host and loads the module into it; resolves with the loaded host. */
export async function loadedHost({ isolation, id, dir, root, pool }) {
  const host = new IsolatedHost({
    isolation,
    key: `${id}@1.0.0`,
    moduleId: id,
    version: "1.0.0",
    file: join(dir, "index.js"),
    requires: [],
    optional: [],
    baseDir: root,
    pool,
    clock: systemClock,
    bridge: {
      use: () => Promise.reject(new Error("unused")),
      checkpoint: () => Promise.resolve(),
      log: () => {},
    },
    hang: { timeoutMs: 10_000, failureThreshold: 1 },
  });
  await host.load({ signal: new globalThis.AbortController().signal });
  return host;
}
