import { randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { ChipsetError, ErrorCodes } from "../errors/index.js";

/** Bytes of a token the host makes itself (32: 256 bits, 43 characters of base64url). */
export const TOKEN_BYTES = 32;

/** The shortest token accepted from `--token-file`, in characters. */
export const MIN_TOKEN_LENGTH = 16;

/** A fresh random token: {@link TOKEN_BYTES} bytes, base64url. */
export function newToken(): string {
  return randomBytes(TOKEN_BYTES).toString("base64url");
}

/**
 * Checks `Authorization: Bearer <token>` headers against one token in constant time: every check
 * compares as many bytes as the token has (the token with itself when the lengths differ), so
 * neither the token's length nor its characters show in the time taken. Compared directly
 * rather than hashed first: a hash per request was the API's dearest step after the abort signal.
 */
export class BearerToken {
  private readonly token: Buffer;

  constructor(token: string) {
    this.token = Buffer.from(token, "utf8");
  }

  /** True when `header` is `Bearer <the token>` (the scheme case-insensitive, as RFC 9110 says). */
  accepts(header: string | undefined): boolean {
    const match = header === undefined ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    const given = Buffer.from(match?.[1] ?? "", "utf8");
    const sameLength = given.length === this.token.length;
    const equal = timingSafeEqual(sameLength ? given : this.token, this.token);
    return equal && sameLength && match !== null;
  }
}

/**
 * The token in `file` (its text without the surrounding white space); `CHIP_ERR_CLI_USAGE` when
 * it cannot be read, or holds fewer than {@link MIN_TOKEN_LENGTH} characters or white space inside.
 */
export function readTokenFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8").trim();
  } catch (err) {
    throw usage(
      `--token-file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      file,
    );
  }
  if (text.length < MIN_TOKEN_LENGTH || /\s/.test(text))
    throw usage(
      `--token-file ${file} must hold one token of at least ${MIN_TOKEN_LENGTH} characters without spaces (make one with \`openssl rand -base64 32\`)`,
      file,
    );
  return text;
}

const usage = (message: string, file: string): ChipsetError =>
  new ChipsetError(ErrorCodes.CLI_USAGE, `${message}; see \`chipset start --help\``, {
    details: { option: "--token-file", file },
  });
