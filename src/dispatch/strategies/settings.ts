import { closestName } from "../../common/closestName.js";
import { ChipsetError, ErrorCodes } from "../../errors/index.js";
import type { ScoreWeights, StrategySettings } from "./DispatchStrategy.js";

/** Document 004's selection factor weights: type 40%, capability 25%, load 20%, performance 10%, affinity 5%. */
export const defaultScoreWeights: Readonly<ScoreWeights> = Object.freeze({
  type: 40,
  capability: 25,
  load: 20,
  performance: 10,
  affinity: 5,
});

/** Consistent hashing's settings with every default filled in. */
export interface ResolvedHashSettings {
  algorithm: "ring" | "maglev";
  loadFactor: number;
  pointsPerWeight: number;
  tableSize: number;
}

/** Consistent hashing's defaults: ring hash, bounded load 1.25, 160 points per weight, Maglev table 65537. */
export const hashDefaults: Readonly<ResolvedHashSettings> = Object.freeze({
  algorithm: "ring",
  loadFactor: 1.25,
  pointsPerWeight: 160,
  tableSize: 65537,
});

/** The error a malformed strategy setting raises: the field, what it was and the expected form. */
export function invalidSetting(field: string, value: unknown, expected: string): ChipsetError {
  return new ChipsetError(
    ErrorCodes.STRATEGY_INVALID,
    `Dispatch setting ${field} is ${JSON.stringify(value) ?? String(value)}; expected ${expected}.`,
    { details: { field, expected } },
  );
}

/** The random source of `settings`, checked (default `Math.random`). */
export function randomOf(settings: StrategySettings): () => number {
  const random = settings.random ?? Math.random;
  if (typeof random !== "function")
    throw invalidSetting("random", typeof random, "a function returning [0, 1)");
  return random;
}

/** least_loaded's active_request_bias, checked: a finite number >= 0 (default 1). */
export function activeRequestBiasOf(settings: StrategySettings): number {
  const bias = settings.activeRequestBias ?? 1;
  if (typeof bias !== "number" || !Number.isFinite(bias) || bias < 0)
    throw invalidSetting("activeRequestBias", bias, "a finite number >= 0 (Envoy's default 1)");
  return bias;
}

/** The score weights of `settings` over the defaults, checked: each finite and >= 0, their sum > 0. */
export function scoreWeightsOf(settings: StrategySettings): ScoreWeights {
  const given = settings.scoreWeights ?? {};
  if (typeof given !== "object" || given === null)
    throw invalidSetting("scoreWeights", given, "an object of factor weights");
  const names = Object.keys(defaultScoreWeights);
  for (const name of Object.keys(given))
    if (!names.includes(name)) {
      const hint = closestName(name, names);
      throw invalidSetting(
        `scoreWeights.${name}`,
        (given as Record<string, unknown>)[name],
        `one of the factors ${names.join(", ")}${hint ? ` (did you mean ${hint}?)` : ""}`,
      );
    }
  const weights = { ...defaultScoreWeights, ...given };
  for (const name of names) {
    const w = weights[name as keyof ScoreWeights];
    if (typeof w !== "number" || !Number.isFinite(w) || w < 0)
      throw invalidSetting(`scoreWeights.${name}`, w, "a finite number >= 0");
  }
  const sum = weights.type + weights.capability + weights.load + weights.performance + weights.affinity;
  if (!(sum > 0)) throw invalidSetting("scoreWeights", weights, "weights whose sum is above 0");
  return weights;
}

/** affinity's remembered keys, checked: an integer >= 1 (default 10000). */
export function affinityKeysOf(settings: StrategySettings): number {
  const keys = settings.affinityKeys ?? 10_000;
  if (!Number.isInteger(keys) || keys < 1) throw invalidSetting("affinityKeys", keys, "an integer >= 1");
  return keys;
}

/** Consistent hashing's settings over the defaults, checked. */
export function hashSettingsOf(settings: StrategySettings): ResolvedHashSettings {
  const given = settings.hash ?? {};
  const hash: ResolvedHashSettings = {
    algorithm: given.algorithm ?? hashDefaults.algorithm,
    loadFactor: given.loadFactor ?? hashDefaults.loadFactor,
    pointsPerWeight: given.pointsPerWeight ?? hashDefaults.pointsPerWeight,
    tableSize: given.tableSize ?? hashDefaults.tableSize,
  };
  if (hash.algorithm !== "ring" && hash.algorithm !== "maglev")
    throw invalidSetting("hash.algorithm", hash.algorithm, `"ring" or "maglev"`);
  if (!Number.isFinite(hash.loadFactor) || (hash.loadFactor !== 0 && hash.loadFactor < 1))
    throw invalidSetting("hash.loadFactor", hash.loadFactor, "0 (unbounded) or a number >= 1 (default 1.25)");
  if (!Number.isInteger(hash.pointsPerWeight) || hash.pointsPerWeight < 1 || hash.pointsPerWeight > 10_000)
    throw invalidSetting(
      "hash.pointsPerWeight",
      hash.pointsPerWeight,
      "an integer from 1 to 10000 (default 160)",
    );
  if (
    !Number.isInteger(hash.tableSize) ||
    hash.tableSize < 3 ||
    hash.tableSize > 16_777_259 ||
    !isPrime(hash.tableSize)
  )
    throw invalidSetting("hash.tableSize", hash.tableSize, "a prime from 3 to 16777259 (default 65537)");
  return hash;
}

function isPrime(n: number): boolean {
  if (n < 2 || n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}
