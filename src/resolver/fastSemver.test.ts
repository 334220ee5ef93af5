import fc from "fast-check";
import semver from "semver";
import { describe, expect, it } from "vitest";
import { rcompare, satisfies } from "./fastSemver.js";

const n = fc.oneof(fc.constantFrom(0, 1, 2), fc.nat(12));
const plain = fc.tuple(n, n, n).map(([a, b, c]) => `${a}.${b}.${c}`);
const version = fc.oneof(
  { weight: 4, arbitrary: plain },
  {
    weight: 1,
    arbitrary: fc.tuple(plain, fc.constantFrom("-alpha", "-0", "-rc.1", "+build")).map(([v, s]) => v + s),
  },
);
const part = fc.oneof(n.map(String), fc.constantFrom("x", "X", "*"));
const partial = fc.oneof(
  n.map(String),
  fc.tuple(n, part).map(([a, b]) => `${a}.${b}`),
  fc.tuple(n, n, part).map(([a, b, c]) => `${a}.${b}.${c}`),
  fc.tuple(part, part).map(([a, b]) => `${a}.${b}`),
);
const range = fc.oneof(
  fc
    .tuple(fc.constantFrom("", "^", "~", "=", ">=", ">", "<", "<=", "v", "~>"), partial)
    .map(([op, v]) => op + v),
  fc.constantFrom(
    "*",
    "x",
    "",
    "1.0.0 - 2.0.0",
    "^1.0.0 || ^2.0.0",
    ">=1.0.0 <2.0.0",
    "01.2.3",
    "1.2.3-beta",
    "^1.2.3-0",
    " ^1.0.0",
  ),
);

describe("fastSemver", () => {
  it("agrees with semver.satisfies on every range and version", () => {
    fc.assert(
      fc.property(version, range, (v, r) => {
        expect(satisfies(v, r)).toBe(semver.satisfies(v, r));
      }),
      { numRuns: 20_000 },
    );
  });

  it("agrees with semver.rcompare", () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        expect(Math.sign(rcompare(a, b))).toBe(Math.sign(semver.rcompare(a, b)));
      }),
      { numRuns: 5_000 },
    );
  });

  it("answers the forms manifests use as semver does", () => {
    expect(satisfies("1.9.9", "^1.2.3")).toBe(true);
    expect(satisfies("2.0.0", "^1.2.3")).toBe(false);
    expect(satisfies("0.2.9", "^0.2.3")).toBe(true);
    expect(satisfies("0.3.0", "^0.2.3")).toBe(false);
    expect(satisfies("0.0.4", "^0.0.3")).toBe(false);
    expect(satisfies("1.2.9", "~1.2.3")).toBe(true);
    expect(satisfies("1.3.0", "~1.2.3")).toBe(false);
    expect(satisfies("1.4.0", "1.x")).toBe(true);
  });
});
