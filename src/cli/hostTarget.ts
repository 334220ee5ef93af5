import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import { isOtherLiveProcess } from "../registry/StoreLayout.js";
import { readTokenFile } from "../server/BearerToken.js";
import { hostFilePath, readHostFile } from "../server/hostFile.js";
import type { GlobalOptions } from "./context.js";
import { HostClient, type HostTarget } from "./HostClient.js";
import { usageError } from "./usage.js";

/** The environment variable `--host`'s token is read from when `--token-file` is not given. */
export const TOKEN_ENV = "CHIPSET_TOKEN";

/** How long a question to the host (`ls`, `info`, `errors`) waits for its answer, in ms. */
export const QUERY_TIMEOUT_MS = 30_000;

/**
 * The host the commands talk to, or undefined to work in this process: none with `--offline`;
 * the one `--host URL` names (token from `--token-file`, else `$CHIPSET_TOKEN`, else the data
 * directory's `host.json` when it names that URL); else the one `<data-dir>/host.json` names
 * when its pid is alive (with its token). A `host.json` naming a dead pid is stale: undefined.
 * `CHIP_ERR_CLI_USAGE` for `--host` with `--offline` or a `--host` that is not an http(s) URL.
 */
export function findHost(
  globals: GlobalOptions,
  env: NodeJS.ProcessEnv = process.env,
): HostTarget | undefined {
  if (globals.offline) {
    if (globals.host !== undefined)
      throw usageError("--host and --offline contradict each other: give one", { host: globals.host });
    return undefined;
  }
  const found = readHostFile(globals.dataDir);
  if (globals.host !== undefined) {
    const url = hostUrl(globals.host);
    const token =
      globals.tokenFile !== undefined
        ? readTokenFile(globals.tokenFile)
        : (nonEmpty(env[TOKEN_ENV]) ??
          (found !== undefined && sameUrl(found.url, url) ? found.token : undefined));
    return { url, token, pid: undefined, file: undefined };
  }
  if (found === undefined || !isOtherLiveProcess(found.pid)) return undefined;
  return {
    url: found.url.replace(/\/+$/, ""),
    token: found.token,
    pid: found.pid,
    file: hostFilePath(globals.dataDir),
  };
}

/** A client of the host {@link findHost} finds, or undefined to work offline. */
export function connectHost(globals: GlobalOptions, env?: NodeJS.ProcessEnv): HostClient | undefined {
  const target = findHost(globals, env);
  return target === undefined ? undefined : new HostClient(target);
}

/**
 * A client of the running host, for commands that only make sense there (`stop <ref>`...):
 * `CHIP_ERR_CLI_USAGE` with `--offline`, `CHIP_ERR_HOST_NOT_RUNNING` when no host serves the
 * data directory. `what` names the command in the messages (`stop web`).
 */
export function requireHost(globals: GlobalOptions, what: string, env?: NodeJS.ProcessEnv): HostClient {
  if (globals.offline && globals.host === undefined)
    throw usageError(
      `\`${what}\` acts on the running host, and --offline says not to use one (this process would end with the module)`,
    );
  const client = connectHost(globals, env);
  if (client !== undefined) return client;
  throw new ChipsetError(
    ErrorCodes.HOST_NOT_RUNNING,
    `\`${what}\` acts on the running host, and none serves ${globals.dataDir}; ` +
      `start one with \`chipset start\` (in another terminal), or name one with --host URL`,
    { details: { dataDir: globals.dataDir, file: hostFilePath(globals.dataDir) } },
  );
}

/** `--host`'s URL without a trailing slash; a usage error unless it is http(s) with no path, query or credentials. */
function hostUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(`--host takes the host API's URL, http://HOST:PORT, not ${JSON.stringify(text)}`, {
      host: text,
    });
  }
  if (
    (url.protocol !== "http:" && url.protocol !== "https:") ||
    url.pathname !== "/" ||
    url.search !== "" ||
    url.hash !== "" ||
    url.username !== "" ||
    url.password !== ""
  )
    throw usageError(
      `--host takes the host API's URL, http://HOST:PORT (no path, query or credentials), not ${JSON.stringify(text)}`,
      { host: text },
    );
  return url.origin;
}

function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === "" ? undefined : value.trim();
