/** A duration for a reason a person reads: `230 ms`, `30 s`, `1.5 min`. */
export function formatMs(ms: number): string {
  if (ms < 1_000) return `${round(ms)} ms`;
  if (ms < 60_000) return `${round(ms / 1_000)} s`;
  return `${round(ms / 60_000)} min`;
}

/** A memory size: `812 KiB`, `180 MiB`, `1.2 GiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${round(bytes / 1024)} KiB`;
  if (bytes < 1024 ** 3) return `${round(bytes / 1024 ** 2)} MiB`;
  return `${round(bytes / 1024 ** 3)} GiB`;
}

/** A share 0-1 as a percentage: `25%`, `12.5%`. */
export function formatShare(share: number): string {
  return `${round(share * 100)}%`;
}

/** `1 call`, `5 calls`; `many` for the odd plural (`successes`). */
export function plural(n: number, noun: string, many = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : many}`;
}

// One decimal at most, none when whole: reasons stay short and stable for tests.
function round(n: number): number {
  return Math.round(n * 10) / 10;
}
