import { describe, expect, it } from "vitest";
import { parseProcCgroup } from "./procCgroup.js";

describe("parseProcCgroup", () => {
  it("reads the unified path and each v1 controller's, including lines naming several", () => {
    const own = parseProcCgroup(
      "12:pids:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/init.scope\n0::/system.slice/x.service\n",
    );
    expect(own.unified).toBe("/system.slice/x.service");
    expect(own.controllers.get("cpu")).toBe("/docker/abc");
    expect(own.controllers.get("cpuacct")).toBe("/docker/abc");
    expect(own.controllers.get("pids")).toBe("/docker/abc");
    expect(own.controllers.get("name=systemd")).toBe("/init.scope");
  });

  it("keeps a colon inside a path and skips what is not a cgroup line", () => {
    const own = parseProcCgroup("garbage\n0::/a:b\n");
    expect(own.unified).toBe("/a:b");
    expect(own.controllers.size).toBe(0);
  });
});
