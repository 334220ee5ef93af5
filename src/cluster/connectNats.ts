import { readFileSync } from "node:fs";
import { connect, type NatsConnection, type NodeConnectionOptions } from "@nats-io/transport-node";
import { nkeyAuthenticator, usernamePasswordAuthenticator } from "@nats-io/nats-core";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";

/** How a node reaches NATS: where, as whom, over what. Secrets come from files, never argv. */
export interface NatsSettings {
  /** One or more server URLs (`nats://HOST:PORT` or `tls://HOST:PORT`, comma-separated). */
  url: string;
  /** This node's name: the connection is `chipset-<node>` on the server's monitoring pages. */
  node: string;
  /** A NATS user; its password is read from `passwordFile`. */
  user?: string;
  passwordFile?: string;
  /** A file holding an nkey seed (`SU...`), instead of a user and password. */
  nkeySeedFile?: string;
  /** Files for TLS (PEM); a `tls://` URL requires TLS even without them. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /** Between two reconnection attempts, in ms. Default 250. */
  reconnectWaitMs?: number;
}

/** `CHIP_ERR_CLUSTER_CONFIG_INVALID` naming `field`. */
function invalid(field: string, message: string, cause?: unknown): ChipsetError {
  return new ChipsetError(ErrorCodes.CLUSTER_CONFIG_INVALID, message, { details: { field }, cause });
}

/** The servers of `url`, each checked: `nats://` or `tls://`, a host and a port. */
export function natsServers(url: string): string[] {
  const servers = url
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (servers.length === 0) throw invalid("url", "no NATS server given: --cluster nats://HOST:PORT");
  for (const server of servers) {
    let parsed: URL;
    try {
      parsed = new URL(server);
    } catch (err) {
      throw invalid(
        "url",
        `${JSON.stringify(server)} is no NATS URL: give nats://HOST:PORT or tls://HOST:PORT`,
        err,
      );
    }
    if ((parsed.protocol !== "nats:" && parsed.protocol !== "tls:") || parsed.hostname === "")
      throw invalid(
        "url",
        `${JSON.stringify(server)} is no NATS URL: give nats://HOST:PORT or tls://HOST:PORT`,
      );
    if (parsed.username !== "" || parsed.password !== "")
      throw invalid(
        "url",
        `${JSON.stringify(server)} carries credentials: give the user and a passwordFile instead`,
      );
  }
  return servers;
}

/** The text of a secret file, trimmed; a clear error naming the setting when it cannot be read or is empty. */
function secret(field: string, file: string): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8").trim();
  } catch (err) {
    throw invalid(field, `cannot read ${field} ${file}: ${(err as Error).message}`, err);
  }
  if (text === "") throw invalid(field, `${field} ${file} is empty`);
  return text;
}

/** The client options {@link connectNats} connects with (checked; secrets read from their files). */
export function natsOptions(settings: NatsSettings): NodeConnectionOptions {
  const servers = natsServers(settings.url);
  if (!/^[A-Za-z0-9_-]+$/.test(settings.node))
    throw invalid(
      "node",
      `the node name ${JSON.stringify(settings.node)} may hold only letters, digits, _ and -`,
    );
  if (settings.user !== undefined && settings.nkeySeedFile !== undefined)
    throw invalid("user", "give a user and password, or an nkey seed, not both");
  if (settings.user === undefined && settings.passwordFile !== undefined)
    throw invalid("passwordFile", "a passwordFile needs a user");
  const options: NodeConnectionOptions = {
    servers,
    name: `chipset-${settings.node}`,
    // A node starts while NATS is down, works alone, and joins once a server answers.
    waitOnFirstConnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: settings.reconnectWaitMs ?? 250,
  };
  if (settings.user !== undefined)
    options.authenticator = usernamePasswordAuthenticator(
      settings.user,
      settings.passwordFile === undefined ? undefined : secret("passwordFile", settings.passwordFile),
    );
  if (settings.nkeySeedFile !== undefined)
    options.authenticator = nkeyAuthenticator(
      new TextEncoder().encode(secret("nkeySeedFile", settings.nkeySeedFile)),
    );
  if (settings.tls !== undefined || servers.some((s) => s.startsWith("tls:"))) {
    const { caFile, certFile, keyFile } = settings.tls ?? {};
    options.tls = {
      ...(caFile === undefined ? {} : { caFile }),
      ...(certFile === undefined ? {} : { certFile }),
      ...(keyFile === undefined ? {} : { keyFile }),
    };
  }
  return options;
}

/**
 * Connects to NATS as `settings` says. Resolves once a server answers, however long that takes
 * (the node keeps serving its own modules meanwhile), and keeps reconnecting for good after.
 * With `once`, makes one attempt and rejects when no server answers it (a caller that says
 * "working alone" and retries itself). `CHIP_ERR_CLUSTER_CONFIG_INVALID` for bad settings or
 * credentials NATS refuses.
 */
export async function connectNats(
  settings: NatsSettings,
  { once = false }: { once?: boolean } = {},
): Promise<NatsConnection> {
  const options = { ...natsOptions(settings), ...(once ? { waitOnFirstConnect: false } : {}) };
  try {
    return await connect(options);
  } catch (err) {
    const message = (err as Error).message;
    if (/authorization|authentication|tls|certificate/i.test(message))
      throw invalid("user", `NATS at ${settings.url} refused this node: ${message}`, err);
    throw err;
  }
}
