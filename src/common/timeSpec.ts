/** Milliseconds per unit of a duration written `15m`, `24h`, `7d`. */
const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/**
 * A duration written as a number and a unit (`500ms`, `30s`, `15m`, `24h`, `7d`, `2w`; decimals
 * allowed: `1.5h`), in ms; undefined for anything else (no unit, a negative number, junk).
 */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/i.exec(text.trim());
  if (match === null) return undefined;
  const ms = Number(match[1]) * (UNIT_MS[match[2]!.toLowerCase()] ?? Number.NaN);
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

/**
 * A point in time as a person or a query string gives it, in ms since the epoch: a duration
 * (`24h`: that long before `nowMs`), an ISO 8601 date or time (`2026-12-07T10:00:00Z`), or a
 * number of ms since the epoch. Undefined for anything else.
 */
export function parseInstant(text: string, nowMs: number): number | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const ago = parseDuration(trimmed);
  if (ago !== undefined) return nowMs - ago;
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  // Only ISO forms: Date.parse also takes "1", "March 7" and other guesses.
  if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/i.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : at;
}
