import { describe, expect, it } from "vitest";
import { childEnvironment } from "./childEnvironment.js";

const runtimeEnv = {
  PATH: "/usr/bin",
  API_TOKEN: "secret",
  LANG: "zh_CN.UTF-8",
  NODE_OPTIONS: "--require x",
};

describe("childEnvironment", () => {
  it("gives a sandboxed host only the granted variables the runtime has, never NODE_OPTIONS", () => {
    expect(childEnvironment({ env: ["LANG", "MISSING", "NODE_OPTIONS"] }, runtimeEnv, "linux")).toEqual({
      LANG: "zh_CN.UTF-8",
    });
    expect(childEnvironment({ env: [] }, runtimeEnv, "linux")).toEqual({});
  });

  it("keeps SystemRoot for a sandboxed host on Windows, where sockets and crypto need it", () => {
    expect(childEnvironment({ env: [] }, { ...runtimeEnv, SystemRoot: "C:\\Windows" }, "win32")).toEqual({
      SystemRoot: "C:\\Windows",
    });
  });

  it("gives any other host the runtime's environment without NODE_OPTIONS", () => {
    expect(childEnvironment(undefined, runtimeEnv, "linux")).toEqual({
      PATH: "/usr/bin",
      API_TOKEN: "secret",
      LANG: "zh_CN.UTF-8",
    });
  });
});
