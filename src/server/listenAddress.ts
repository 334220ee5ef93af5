import { isIP } from "node:net";
import { ChipsetError, ErrorCodes } from "../errors/index.js";

/** Where the host's API listens by default: this machine only, port 7411. */
export const DEFAULT_LISTEN = "127.0.0.1:7411";

/** A parsed `HOST:PORT` (`[::1]:7411` for IPv6). */
export interface ListenAddress {
  host: string;
  /** 0: any free port. */
  port: number;
}

/**
 * Parses `HOST:PORT` (`127.0.0.1:7411`, `localhost:0`, `[::1]:7411`, `0.0.0.0:7411`);
 * `CHIP_ERR_CLI_USAGE` when it is not one.
 */
export function parseListenAddress(text: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = match === null ? NaN : Number(match[3]);
  if (match === null || port > 65_535)
    throw new ChipsetError(
      ErrorCodes.CLI_USAGE,
      `--http ${JSON.stringify(text)} is not HOST:PORT; give e.g. 127.0.0.1:7411, [::1]:7411, or 127.0.0.1:0 for any free port; see \`chipset --help\``,
      { details: { option: "--http", found: text } },
    );
  return { host: match[1] ?? match[2]!, port };
}

/** True for addresses only this machine can reach: `localhost`, 127.0.0.0/8, `::1`. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  return /^::ffff:127\./.test(h);
}

/** The URL of a listening address (IPv6 in brackets). */
export function urlOf(host: string, port: number): string {
  return `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

/**
 * Refuses (`CHIP_ERR_CLI_USAGE`) to serve on an address other machines can reach with a token
 * made up here: one that others may need must come from a file the operator manages (`--token-file`).
 */
export function assertExposureAllowed(address: ListenAddress, tokenFromFile: boolean): void {
  if (tokenFromFile || isLoopback(address.host)) return;
  throw new ChipsetError(
    ErrorCodes.CLI_USAGE,
    `--http ${address.host}:${address.port} can be reached from other machines: give the token they must send with --token-file FILE, or listen on 127.0.0.1; see \`chipset start --help\``,
    { details: { option: "--http", host: address.host } },
  );
}
