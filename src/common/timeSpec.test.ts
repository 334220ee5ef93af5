import { describe, expect, it } from "vitest";
import { parseDuration, parseInstant } from "./timeSpec.js";

describe("durations and instants people write", () => {
  it("reads a number and a unit as a duration in ms", () => {
    expect(parseDuration("15m")).toBe(900_000);
    expect(parseDuration("24h")).toBe(86_400_000);
    expect(parseDuration("7d")).toBe(604_800_000);
    expect(parseDuration("1.5h")).toBe(5_400_000);
    expect(parseDuration("500ms")).toBe(500);
  });

  it("refuses a duration without a unit, negative, or with junk", () => {
    for (const text of ["15", "-1h", "1hour", "h", "", "1h30m"]) expect(parseDuration(text)).toBeUndefined();
  });

  it("takes a duration back from now, an ISO time or ms since the epoch as an instant", () => {
    const now = Date.UTC(2026, 11, 7, 12);
    expect(parseInstant("24h", now)).toBe(now - 86_400_000);
    expect(parseInstant("2026-12-07T10:00:00Z", now)).toBe(Date.UTC(2026, 11, 7, 10));
    expect(parseInstant("2026-12-07", now)).toBe(Date.UTC(2026, 11, 7));
    expect(parseInstant("1700000000000", now)).toBe(1_700_000_000_000);
    for (const text of ["yesterday", "March 7", "", "2026-13-45"])
      expect(parseInstant(text, now)).toBeUndefined();
  });
});
