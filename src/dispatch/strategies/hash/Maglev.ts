import { type HashTable, tableWeights } from "./HashTable.js";
import { murmur3 } from "./murmur3.js";

/**
 * Google's Maglev lookup table (Eisenbud et al., NSDI 2016) with Envoy's weighting: each member
 * walks its own permutation of the `size` slots (offset murmur3(key, 0xb0f) mod size, skip
 * murmur3(key, 0x5ca1ab1e) mod (size - 1) + 1) and, turn by turn, claims its next free slot; a
 * member of weight w takes a turn in w / max-weight of the rounds. A lookup is one index. With a
 * prime size (default 65537) each member owns close to its weight share of the slots, and one of
 * n members joining or leaving moves about 1/n of the keys, and a few percent more (Maglev trades
 * a little churn for an even spread).
 */
export class Maglev implements HashTable {
  private readonly table: Int32Array;

  constructor(keys: readonly string[], weights: readonly number[], size: number) {
    const w = tableWeights(weights);
    const max = Math.max(0, ...w);
    const n = keys.length;
    this.table = new Int32Array(size).fill(-1);
    if (n === 0) return;
    const offset = keys.map((k) => murmur3(k, 0xb0f) % size);
    const skip = keys.map((k) => (murmur3(k, 0x5ca1ab1e) % (size - 1)) + 1);
    const next = new Float64Array(n);
    const target = new Float64Array(n);
    let filled = 0;
    for (let round = 1; filled < size; round++) {
      for (let i = 0; i < n && filled < size; i++) {
        if (w[i] === 0 || round * w[i]! < target[i]!) continue;
        target[i] = target[i]! + max;
        let slot = (offset[i]! + skip[i]! * next[i]!) % size;
        while (this.table[slot] !== -1) {
          next[i] = next[i]! + 1;
          slot = (offset[i]! + skip[i]! * next[i]!) % size;
        }
        this.table[slot] = i;
        next[i] = next[i]! + 1;
        filled++;
      }
    }
  }

  get size(): number {
    return this.table.length;
  }

  start(hash: number): number {
    return hash % this.table.length;
  }

  owner(position: number): number {
    return this.table[position % this.table.length]!;
  }
}
