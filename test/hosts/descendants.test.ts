import { describe, expect, it } from "vitest";
import { ended, hostHarness, whenEnded } from "./harness.js";

const h = hostHarness();

/** `spawnSleeper()` starts `sleep 300` (an ordinary child, in the module's process group) and answers its pid. */
const PARENT = `import { spawn } from "node:child_process";
export const module = defineModule({ api: {
  spawnSleeper() {
    const child = spawn("sleep", ["300"], { stdio: "ignore" });
    return new Promise((resolve, reject) => { child.once("spawn", () => resolve(child.pid)); child.once("error", reject); });
  },
  die() { setTimeout(() => process.exit(1), 0); return new Promise(() => {}); },
} });`;

describe.skipIf(process.platform === "win32")("the processes a process module started", () => {
  it("end with its host when the host is ended", async () => {
    const { host } = await h.started("process", PARENT);
    const pid = (await host.call("spawnSleeper", [])) as number;
    expect(ended(pid)).toBe(false);
    host.unload();
    await whenEnded(pid);
  });

  it("end when the module's process exits on its own", async () => {
    const { host } = await h.started("process", PARENT);
    const pid = (await host.call("spawnSleeper", [])) as number;
    await expect(host.call("die", [])).rejects.toBeDefined();
    await whenEnded(pid);
  });
});
