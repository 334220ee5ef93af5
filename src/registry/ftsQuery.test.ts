import { describe, expect, it } from "vitest";
import { ftsQuery } from "./ftsQuery.js";

describe("ftsQuery", () => {
  it("turns each word into a quoted prefix phrase and ANDs them", () => {
    expect(ftsQuery("video play")).toBe('"video"* AND "play"*');
  });

  it("quotes FTS operators and column filters as plain words", () => {
    expect(ftsQuery("video OR id:x")).toBe('"video"* AND "OR"* AND "id:x"*');
    expect(ftsQuery('say "hi"')).toBe('"say"* AND """hi"""*');
  });

  it("returns undefined when there is nothing to search for", () => {
    expect(ftsQuery("")).toBeUndefined();
    expect(ftsQuery("  * - ( ")).toBeUndefined();
  });
});
