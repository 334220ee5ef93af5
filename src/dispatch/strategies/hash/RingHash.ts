import { type HashTable, tableWeights } from "./HashTable.js";
import { murmur3 } from "./murmur3.js";

/**
 * A ketama-style hash ring: each member owns points on a 32-bit circle, `pointsPerWeight` per
 * unit of its weight relative to the mean weight (at least one, and at least 1024 points in all,
 * Envoy's minimum ring size), point v of member `key` at murmur3(key, seed v). A hash belongs to
 * the first point at or after it, wrapping round. Adding or removing one of n members moves only
 * the keys of its own points, about 1/n of them.
 */
export class RingHash implements HashTable {
  private readonly points: Uint32Array;
  private readonly owners: Int32Array;

  /** `keys[i]` is member i's address; `weights[i]` its weight. */
  constructor(keys: readonly string[], weights: readonly number[], pointsPerWeight: number) {
    const w = tableWeights(weights);
    const mean = w.reduce((a, b) => a + b, 0) / Math.max(1, w.length);
    const perWeight = Math.max(pointsPerWeight, Math.ceil(1024 / Math.max(1, keys.length)));
    const counts = w.map((x) => (x > 0 ? Math.max(1, Math.round((perWeight * x) / mean)) : 0));
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
