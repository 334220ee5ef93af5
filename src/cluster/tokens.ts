/**
 * A module id or version as one NATS token: a micro service's name must match `[-\w]+`, and a
 * subject or key-value key must not hold `.`, `*`, `>` or spaces. Every character outside
 * `[A-Za-z0-9-]` becomes `_` and its code in hex (two digits, or `u` and four for the rest), so the
 * token reads back exactly: `@acme/video.player` is `_40acme_2fvideo_2eplayer`.
 */
export function toToken(text: string): string {
  let out = "";
  for (const ch of text) {
    if (/[A-Za-z0-9-]/.test(ch)) {
      out += ch;
      continue;
    }
    const code = ch.codePointAt(0) ?? 0;
    out +=
      code < 0x100 ? `_${code.toString(16).padStart(2, "0")}` : `_u${code.toString(16).padStart(6, "0")}`;
  }
  return out;
}

/** The text {@link toToken} made `token` from; throws a `TypeError` naming it when it is none. */
export function fromToken(token: string): string {
  return token.replace(/_(u[0-9a-f]{6}|[0-9a-f]{2})|_|[^A-Za-z0-9-]/g, (match, hex: string | undefined) => {
    if (hex === undefined) throw new TypeError(`${JSON.stringify(token)} is not a Chipset token`);
    return String.fromCodePoint(parseInt(hex.startsWith("u") ? hex.slice(1) : hex, 16));
  });
}
