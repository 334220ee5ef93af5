import { describe, expect, it } from "vitest";
import { Ewma } from "./Ewma.js";

describe("Ewma", () => {
  it("is the plain mean and population variance while warming up", () => {
    const e = new Ewma(0.1);
    const xs = [3, 7, 1, 9, 5, 5, 2, 8];
    for (const x of xs) e.add(x);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    expect(e.count).toBe(8);
    expect(e.mean).toBeCloseTo(mean, 12);
    expect(e.variance).toBeCloseTo(variance, 12);
    expect(e.sd).toBeCloseTo(Math.sqrt(variance), 12);
  });

  it("weighs each sample by alpha once warmed up", () => {
    const e = new Ewma(0.5);
    e.add(0);
    e.add(0);
    e.add(8);
    expect(e.mean).toBe(4);
    e.add(8);
    expect(e.mean).toBe(6);
  });

  it("follows a step to the new level and its variance decays to zero", () => {
    const e = new Ewma(0.1);
    for (let i = 0; i < 100; i++) e.add(i % 2 === 0 ? 9 : 11);
    expect(e.sd).toBeCloseTo(1, 1);
    for (let i = 0; i < 300; i++) e.add(50);
    expect(e.mean).toBeCloseTo(50, 6);
    expect(e.variance).toBeLessThan(1e-6);
  });

  it("starts again from nothing on reset", () => {
    const e = new Ewma(0.1);
    for (const x of [100, 300, 200]) e.add(x);
    e.reset();
    e.add(4);
    e.add(6);
    expect(e.count).toBe(2);
    expect(e.mean).toBe(5);
    expect(e.variance).toBe(1);
  });
});
