/** Figures for people, as `pm2` and `top` print them. No I/O here. */

const UNITS = ["B", "KB", "MB", "GB", "TB"] as const;

/** A share of a CPU as `12.3%` (100% = one core busy); `-` for null (not measured). */
export function percent(value: number | null | undefined): string {
  return value == null ? "-" : `${value.toFixed(1)}%`;
}

/** Bytes in the largest unit of 1 024 under 1 024, as pm2 counts them: `512 B`, `45.6 MB`; `-` for null. */
export function bytes(value: number | null | undefined): string {
  if (value == null) return "-";
  let n = Math.max(0, value);
  let unit = 0;
  while (n >= 1024 && unit < UNITS.length - 1) {
    n /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(n)} B` : `${n.toFixed(1)} ${UNITS[unit]}`;
}

/** Bytes per second: `0 B/s`, `1.2 MB/s`; `-` for null. */
export function rate(bytesPerSecond: number | null | undefined): string {
  return bytesPerSecond == null ? "-" : `${bytes(bytesPerSecond)}/s`;
}

/** A fraction 0..1 as a percentage with no decimals: `0.37` -> `37%`; `-` for null. */
export function fraction(value: number | null | undefined): string {
  return value == null ? "-" : `${Math.round(value * 100)}%`;
}
