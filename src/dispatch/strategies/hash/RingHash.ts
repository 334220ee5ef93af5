import { type HashTable, tableWeights } from "./HashTable.js";
import { murmur3 } from "./murmur3.js";

/** The most points a ring holds (8 MiB of points and owners). */
export const MAX_RING_POINTS = 1 << 20;

/**
 * A ketama-style hash ring: each member owns points on a 32-bit circle, round(pointsPerWeight x
 * weight) of them (at least one; ketama's 160 per unit by default), point v of member `key` at
 * murmur3(key, seed v). A hash belongs to the first point at or after it, wrapping round. A
 * member's points depend on nothing but its own key and weight, so adding or removing one of n
 * members moves only the keys of its own points, about 1/n of them. Rings past
 * {@link MAX_RING_POINTS} are scaled down to it (weights in the millions).
 */
export class RingHash implements HashTable {
  private readonly points: Uint32Array;
  private readonly owners: Int32Array;

  /** `keys[i]` is member i's address; `weights[i]` its weight. */
  constructor(keys: readonly string[], weights: readonly number[], pointsPerWeight: number) {
    const w = tableWeights(weights);
    const wanted = w.reduce((a, x) => a + pointsPerWeight * x, 0);
    const perWeight =
      wanted > MAX_RING_POINTS ? (pointsPerWeight * MAX_RING_POINTS) / wanted : pointsPerWeight;
    const counts = w.map((x) => (x > 0 ? Math.max(1, Math.round(perWeight * x)) : 0));
    const total = counts.reduce((a, b) => a + b, 0);
    // hash x 2^16 + member sorts by hash, then member (members < 2^16; exact in a double).
    const packed = new Float64Array(total);
    let n = 0;
    for (let i = 0; i < keys.length; i++)
      for (let v = 0; v < counts[i]!; v++) packed[n++] = murmur3(keys[i]!, v) * 65536 + i;
    packed.sort();
    this.points = new Uint32Array(total);
    this.owners = new Int32Array(total);
    for (let p = 0; p < total; p++) {
      const value = packed[p]!;
      const owner = value % 65536;
      this.owners[p] = owner;
      this.points[p] = (value - owner) / 65536;
    }
  }

  get size(): number {
    return this.points.length;
  }

  start(hash: number): number {
    const points = this.points;
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    return lo === points.length ? 0 : lo;
  }

  owner(position: number): number {
    return this.owners[position % this.owners.length]!;
  }
}
