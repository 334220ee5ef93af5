import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { murmur3 } from "./murmur3.js";

/** MurmurHash3 x86 32 over bytes, as published (the reference the string version must equal). */
function murmur3Bytes(bytes: Uint8Array, seed: number): number {
  let h = seed | 0;
  const blocks = bytes.length & ~3;
  const mix = (k: number) => {
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    return Math.imul(k, 0x1b873593);
  };
  for (let i = 0; i < blocks; i += 4) {
    h ^= mix(bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  const tail = bytes.length & 3;
  if (tail >= 3) k ^= bytes[blocks + 2]! << 16;
  if (tail >= 2) k ^= bytes[blocks + 1]! << 8;
  if (tail >= 1) h ^= mix(k ^ bytes[blocks]!);
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

describe("murmur3", () => {
  it("the byte reference gives the published vectors", () => {
    const ascii = (s: string) => new Uint8Array(Buffer.from(s, "latin1"));
    expect(murmur3Bytes(ascii(""), 0)).toBe(0);
    expect(murmur3Bytes(ascii(""), 1)).toBe(0x514e28b7);
    expect(murmur3Bytes(ascii("test"), 0)).toBe(0xba6bd213);
    expect(murmur3Bytes(ascii("Hello, world!"), 0)).toBe(0xc0363e43);
  });

  it("hashes a string as murmur3 of its UTF-16LE bytes, for any string and seed", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 40 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (s, seed) => {
          expect(murmur3(s, seed)).toBe(murmur3Bytes(new Uint8Array(Buffer.from(s, "utf16le")), seed));
        },
      ),
      { numRuns: 200 },
    );
  });
});
