/**
 * A consistent-hash lookup over the members of a pool: where a hash lands, then the members after
 * it in a fixed order, so that bounded load can walk on when the first is full.
 */
export interface HashTable {
  /** The position `hash` lands on. */
  start(hash: number): number;
  /** The member index at `position` (any integer; taken modulo the table). */
  owner(position: number): number;
  /** Positions in the table. */
  readonly size: number;
}

/**
 * The weights a table is built with: `weight` of each member, NaN, infinite and negative counting
 * as 0; when all are 0, all count as 1 (a pool of drained members still serves).
 */
export function tableWeights(weights: readonly number[]): number[] {
  const usable = weights.map((w) => (w > 0 && w < Infinity ? w : 0));
  return usable.some((w) => w > 0) ? usable : usable.map(() => 1);
}
