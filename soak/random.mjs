/** Seeded randomness: the same seed gives the same modules, load targets and crash schedule. */

/** A PRNG (mulberry32) returning numbers in [0, 1). */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
