/** Small statistics and table helpers shared by the benchmarks. */

/** Sorted copy of `samples` (numbers, ms). */
function sorted(samples) {
  return [...samples].sort((a, b) => a - b);
}

/** Median of `samples` (mean of the two middle values for an even count). */
export function median(samples) {
  if (samples.length === 0) return NaN;
  const s = sorted(samples);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Percentile by nearest rank (p in 0..100). */
export function percentile(samples, p) {
  if (samples.length === 0) return NaN;
  const s = sorted(samples);
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1];
}

/** `{ n, median, p95, min, max, mean }` of `samples` (ms). */
export function summarize(samples) {
  const n = samples.length;
  return {
    n,
    median: median(samples),
    p95: percentile(samples, 95),
    min: n ? Math.min(...samples) : NaN,
    max: n ? Math.max(...samples) : NaN,
    mean: n ? samples.reduce((a, b) => a + b, 0) / n : NaN,
  };
}

/** Ratio of two medians (`a / b`), the figure we quote. */
export function ratio(a, b) {
  return a.median / b.median;
}

/** Formats a duration in ms with sensible precision. */
export function ms(value) {
  if (!Number.isFinite(value)) return "-";
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  if (value >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

/** Formats a ratio as `1.23x`. */
export function x(value) {
  return Number.isFinite(value) ? `${value.toFixed(2)}x` : "-";
}

/** Renders rows (arrays of strings) as an aligned text table with a header. */
export function table(header, rows) {
  const all = [header, ...rows].map((r) => r.map((c) => String(c)));
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(all[0]), widths.map((w) => "-".repeat(w)).join("  "), ...all.slice(1).map(line)].join("\n");
}

/** A standard result row: name, median, p95, n, and an optional ratio column. */
export function row(name, stats, ratioText = "") {
  return [name, ms(stats.median), ms(stats.p95), String(stats.n), ratioText];
}

export const HEADER = ["case", "median ms", "p95 ms", "n", "ratio"];

/** Runs the garbage collector when node was started with --expose-gc. */
export function collect() {
  if (typeof globalThis.gc === "function") globalThis.gc();
}

/** A small seeded PRNG (mulberry32, Chipset's own `seededRandom`), so every run builds the same graphs. */
export { seededRandom as prng } from "chipset/chaos";
