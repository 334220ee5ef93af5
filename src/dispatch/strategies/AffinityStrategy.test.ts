import { describe, expect, it } from "vitest";
import { candidate, replicas, tally } from "../../../test/support/candidates.js";
import { AffinityStrategy } from "./AffinityStrategy.js";

describe("affinity", () => {
  it("sends a key to the same replica every time", () => {
    const pool = replicas(4);
    const a = new AffinityStrategy(100);
    for (const key of ["alice", "bob", "carol"]) {
      const first = a.pick(pool, { key })!;
      for (let i = 0; i < 20; i++) expect(a.pick(pool, { key })).toBe(first);
    }
    // Different keys spread: 200 keys over 4 replicas reach all of them.
    expect(new Set(Array.from({ length: 200 }, (_, i) => a.pick(pool, { key: `k${i}` })!.key)).size).toBe(4);
  });

  it("keeps a key on its replica when another joins", () => {
    const pool = replicas(3);
    const a = new AffinityStrategy(1000);
    const before = Array.from({ length: 300 }, (_, i) => a.pick(pool, { key: `k${i}` })!.key);
    const grown = [...pool, candidate("new")];
    expect(Array.from({ length: 300 }, (_, i) => a.pick(grown, { key: `k${i}` })!.key)).toEqual(before);
  });

  it("falls back to another replica when the key's replica is down, and stays there", () => {
    const pool = replicas(3);
    const a = new AffinityStrategy(100);
    const home = a.pick(pool, { key: "alice" })!;
    const rest = pool.filter((c) => c !== home);
    const fallback = a.pick(rest, { key: "alice" })!;
    expect(fallback).not.toBe(home);
    expect(rest).toContain(fallback);
    // Back in rotation, the key stays where its state now is.
    expect(a.pick(pool, { key: "alice" })).toBe(fallback);
  });

  it("prefers replicas carrying all the requested labels, else the most of them", () => {
    const pool = [
      candidate("a-ssd", { labels: { zone: "a", disk: "ssd" }, inflight: 5 }),
      candidate("a-hdd", { labels: { zone: "a", disk: "hdd" } }),
      candidate("b-ssd", { labels: { zone: "b", disk: "ssd" } }),
    ];
    const a = new AffinityStrategy(100);
    expect(tally(10, () => a.pick(pool, { labels: { zone: "a", disk: "ssd" } }))).toEqual({ "a-ssd": 10 });
    // a-ssd down: a-hdd and b-ssd carry one of the two each; the least loaded of them.
    expect(a.pick(pool.slice(1), { labels: { zone: "a", disk: "ssd" } })?.key).toBe("a-hdd");
    expect(a.pick(pool, { labels: { zone: "c" } })?.key).toBe("a-hdd"); // none matches: least loaded of all
  });

  it("forgets the oldest binding past its limit", () => {
    const pool = replicas(8);
    const a = new AffinityStrategy(2);
    const home = a.pick(pool, { key: "first" })!;
    a.pick(pool, { key: "second" });
    a.pick(pool, { key: "third" }); // "first" forgotten
    // With the same members, it lands where it was anyway (rendezvous hashing).
    expect(a.pick(pool, { key: "first" })).toBe(home);
  });
});
