// How numbers read on the page: short, with units, and "–" for what is not known.

export const NONE = "–";

/** Bytes as B, KiB, MiB or GiB with one decimal. */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return NONE;
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${u === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

/** A rate in bytes per second. */
export function bps(n: number | null | undefined): string {
  return n === null || n === undefined ? NONE : `${bytes(n)}/s`;
}

/** A percentage with one decimal. */
export function percent(n: number | null | undefined): string {
  return n === null || n === undefined ? NONE : `${n.toFixed(1)}%`;
}

/** Milliseconds: µs below 1 ms, s above 10 s. */
export function ms(n: number | null | undefined): string {
  if (n === null || n === undefined) return NONE;
  if (n < 1) return `${(n * 1000).toFixed(0)} µs`;
  if (n < 10_000) return `${n.toFixed(n < 10 ? 1 : 0)} ms`;
  return duration(n);
}

/** A duration in ms as "3 s", "4 min 2 s", "2 h 5 min". */
export function duration(n: number | null | undefined): string {
  if (n === null || n === undefined) return NONE;
  const s = Math.floor(n / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** A per-second rate with at most one decimal. */
export function rate(n: number | null | undefined): string {
  if (n === null || n === undefined) return NONE;
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}

/** Epoch ms as a local time (with the date when it is not today). */
export function time(at: number | null | undefined): string {
  if (at === null || at === undefined) return NONE;
  const d = new Date(at);
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString() : d.toLocaleString();
}

/** Where an instance runs: "inline", "thread 3", "pid 1234". */
export function where(host: { isolation: string; pid: number; threadId: number } | undefined): string {
  if (host === undefined) return NONE;
  if (host.isolation === "process") return `pid ${host.pid}`;
  if (host.isolation === "worker") return `thread ${host.threadId}`;
  return "inline";
}
