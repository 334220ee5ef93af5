import { describe, expect, it } from "vitest";
import { bytes, fraction, percent, rate } from "./formatUnits.js";

describe("figures for people", () => {
  it("print CPU with one decimal, and a dash where nothing was measured", () => {
    expect(percent(12.345)).toBe("12.3%");
    expect(percent(0)).toBe("0.0%");
    expect(percent(null)).toBe("-");
  });

  it("print bytes in the largest unit of 1 024, as pm2 does", () => {
    expect(bytes(512)).toBe("512 B");
    expect(bytes(1536)).toBe("1.5 KB");
    expect(bytes(45.6 * 1024 * 1024)).toBe("45.6 MB");
    expect(bytes(3 * 1024 ** 3)).toBe("3.0 GB");
    expect(bytes(undefined)).toBe("-");
  });

  it("print rates per second and fractions as whole percentages", () => {
    expect(rate(0)).toBe("0 B/s");
    expect(rate(2 * 1024 * 1024)).toBe("2.0 MB/s");
    expect(rate(null)).toBe("-");
    expect(fraction(0.372)).toBe("37%");
    expect(fraction(null)).toBe("-");
  });
});
