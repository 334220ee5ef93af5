import { describe, expect, it } from "vitest";
import { dependenciesClosure, dependentsClosure } from "./closure.js";

const graph: Record<string, string[]> = {
  app: ["ui", "db"],
  ui: ["log"],
  db: ["log"],
  log: [],
  tool: ["log"],
  a: ["b"],
  b: ["a"],
};
const depsOf = (node: string) => graph[node] ?? [];

describe("dependenciesClosure", () => {
  it("returns the starts and everything they depend on, nearest first", () => {
    expect([...dependenciesClosure(["app"], depsOf)]).toEqual(["app", "ui", "db", "log"]);
  });

  it("terminates on cycles", () => {
    expect([...dependenciesClosure(["a"], depsOf)]).toEqual(["a", "b"]);
  });

  it("follows a 10,000-long chain without overflowing the stack", () => {
    const closure = dependenciesClosure(["m0"], (node) => {
      const i = Number(node.slice(1));
      return i < 9_999 ? [`m${i + 1}`] : [];
    });
    expect(closure.size).toBe(10_000);
  });
});

describe("dependentsClosure", () => {
  it("returns the starts and every node that depends on them, directly or not", () => {
    expect([...dependentsClosure(["log"], Object.keys(graph), depsOf)]).toEqual([
      "log",
      "ui",
      "db",
      "tool",
      "app",
    ]);
  });

  it("ignores dependents outside the given nodes", () => {
    expect([...dependentsClosure(["log"], ["log", "ui", "db"], depsOf)]).toEqual(["log", "ui", "db"]);
  });
});
