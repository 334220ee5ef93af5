/** Seeded randomness: the same seed gives the same modules, load targets and crash schedule. */
import { prng as mulberry32 } from "../bench/lib/stats.mjs";

/**
 * Independent streams from one seed, so that a change in how often one part draws (the load
 * follows wall-clock time) does not shift the others (the crash schedule).
 */
export function streams(seed) {
  const derive = (salt) => mulberry32(Math.imul(seed ^ salt, 0x9e3779b1));
  return { load: derive(0x10ad), chaos: derive(0xc4a05), backoff: derive(0xb4c0ff) };
}

/** A random element of `items` (undefined when empty). */
export function pick(random, items) {
  return items[Math.floor(random() * items.length)];
}

/** A random integer in [min, max]. */
export function between(random, min, max) {
  return min + Math.floor(random() * (max - min + 1));
}
