/**
 * The tasks of benchmark 13 (replicas): piscina runs this file, and the bench module's api embeds
 * the same functions' source (`work.toString()`), so both run the same body.
 */

/** A fixed amount of CPU work: `rounds` multiply-xorshift steps (200,000: about 0.35-0.5 ms here). */
export function work(x, rounds = 200_000) {
  let h = (x | 0) ^ 0x9e3779b9;
  for (let i = 0; i < rounds; i++) {
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    h = (h + i) | 0;
  }
  return h >>> 0;
}

/** No work: what a call costs when the task is nothing. */
export function inc(x) {
  return x + 1;
}

export default work;
