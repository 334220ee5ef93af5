import semver from "semver";

// Hand-written on purpose (DESIGN.md: only where a benchmark says so): in a fresh process the
// semver package's first range checks compile its large regular expressions, which cost more
// than loading four small modules (bench/useFirstResult). Ranges of the forms manifests use
// (^, ~, exact, >=, x-ranges) on plain x.y.z versions are answered here; anything else
// (prereleases, build metadata, ||, hyphens, comparator sets, loose syntax) goes to semver.
// A property test checks this agrees with semver.

type Triple = readonly [number, number, number];

/** A simple range: versions v with min <= v < max (max undefined: no upper bound). */
interface Bounds {
  min: Triple;
  max: Triple | undefined;
}

// At most 15 digits: below 2^53, where semver itself stops accepting numbers.
const NUM = /^(0|[1-9]\d{0,14})$/;
const PLAIN = /^(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})$/;

// Parses by version string: a resolution compares the same few versions thousands of times.
// Bounded like the answers below; `null` records a version that is not plain.
const parsedVersions = new Map<string, Triple | null>();
const MAX_CACHED_VERSIONS = 10_000;

function plainVersion(version: string): Triple | undefined {
  let triple = parsedVersions.get(version);
  if (triple === undefined) {
    const m = PLAIN.exec(version);
    triple = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
    if (parsedVersions.size >= MAX_CACHED_VERSIONS) parsedVersions.clear();
    parsedVersions.set(version, triple);
  }
  return triple ?? undefined;
}

function compare(a: Triple, b: Triple): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

const boundsCache = new Map<string, Bounds | null>();

/** Parses `range` if it is one of the simple forms; null otherwise. */
function simpleBounds(range: string): Bounds | null {
  let cached = boundsCache.get(range);
  if (cached === undefined) {
    if (boundsCache.size >= MAX_CACHED_RANGES) boundsCache.clear();
    cached = parseSimple(range);
    boundsCache.set(range, cached);
  }
  return cached;
}

function parseSimple(range: string): Bounds | null {
  if (range === "*" || range === "x" || range === "X" || range === "")
    return { min: [0, 0, 0], max: undefined };
  let op = "";
  let rest = range;
  if (rest.startsWith(">=")) [op, rest] = [">=", rest.slice(2)];
  else if (rest[0] === "^" || rest[0] === "~" || rest[0] === "=") [op, rest] = [rest[0], rest.slice(1)];
  const parts = rest.split(".");
  if (parts.length > 3) return null;
  const nums: number[] = [];
  for (const [i, part] of parts.entries()) {
    if (part === "x" || part === "X" || part === "*") {
      if (parts.slice(i).some((p) => p !== "x" && p !== "X" && p !== "*")) return null;
      break;
    }
    if (!NUM.test(part)) return null;
    nums.push(Number(part));
  }
  if (nums.length === 0) return null;
  const [M, m = 0, p = 0] = nums;
  const min: Triple = [M!, m, p];
  const given = nums.length;
  switch (op) {
    case ">=":
      return given === 3 ? { min, max: undefined } : null;
    case "~":
      return { min, max: given === 1 ? [M! + 1, 0, 0] : [M!, m + 1, 0] };
    case "^":
      if (M! > 0 || given === 1) return { min, max: [M! + 1, 0, 0] };
      if (m > 0 || given === 2) return { min, max: [0, m + 1, 0] };
      return { min, max: [0, 0, p + 1] };
    default:
      // "1.2.3" / "=1.2.3" exact; "1", "1.2", "1.x", "1.2.x" x-ranges.
      if (given === 3) return { min, max: [M!, m, p + 1] };
      return { min, max: given === 1 ? [M! + 1, 0, 0] : [M!, m + 1, 0] };
  }
}

/** True for a plain `x.y.z` version (no prerelease, no build metadata). */
export function isPlainVersion(version: string): boolean {
  return plainVersion(version) !== undefined;
}

// Answers by range, then version: manifests repeat the same few pairs ("^1.0.0" against "1.0.0")
// thousands of times in one resolution. Bounded so a long-lived runtime cannot grow it forever.
const answers = new Map<string, Map<string, boolean>>();
const MAX_CACHED_RANGES = 10_000;

/** `semver.satisfies(version, range)`, without semver for plain versions and simple ranges. */
export function satisfies(version: string, range: string): boolean {
  let byVersion = answers.get(range);
  if (byVersion === undefined) {
    if (answers.size >= MAX_CACHED_RANGES) answers.clear();
    answers.set(range, (byVersion = new Map<string, boolean>()));
  }
  let answer = byVersion.get(version);
  if (answer === undefined) byVersion.set(version, (answer = compute(version, range)));
  return answer;
}

function compute(version: string, range: string): boolean {
  const v = plainVersion(version);
  const bounds = v ? simpleBounds(range) : null;
  if (!v || !bounds) return semver.satisfies(version, range);
  return compare(v, bounds.min) >= 0 && (bounds.max === undefined || compare(v, bounds.max) < 0);
}

/** `semver.rcompare(a, b)` (highest first), without semver for plain versions. */
export function rcompare(a: string, b: string): number {
  const x = plainVersion(a);
  const y = plainVersion(b);
  if (!x || !y) return semver.rcompare(a, b);
  return compare(y, x);
}

/** The valid semver versions of `versions`, highest first (strings that are not versions are dropped). */
export function validDescending(versions: readonly string[]): string[] {
  return versions.filter((v) => isPlainVersion(v) || semver.valid(v) !== null).sort(rcompare);
}
