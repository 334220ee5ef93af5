import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { collect, FREE_PORT, spawnCli, tempDir, waitForOutput, writeModule } from "./harness.js";

let tmp: { dir: string; cleanup: () => Promise<void> };
let child: ChildProcess | undefined;
const data = () => join(tmp.dir, "data");

beforeEach(async () => {
  tmp = await tempDir("desired");
  const code = `import { defineModule } from "chipset/module";
export const module = defineModule({ api: { ping: () => "pong" } });`;
  await writeModule(join(tmp.dir, "modules"), {
    name: "core",
    version: "1.0.0",
    chipset: { kind: "service", activation: "eager" },
    code,
  });
  await writeModule(join(tmp.dir, "modules"), {
    name: "report",
    version: "1.0.0",
    chipset: { kind: "service" },
    code,
  });
  await writeFile(join(tmp.dir, "chipset.config.json"), JSON.stringify({ moduleDirs: ["./modules"] }));
});
afterEach(async () => {
  if (child?.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  child = undefined;
  await tmp.cleanup();
});

/** A host started on the data directory, and a client of its API with the token from host.json. */
async function startHost() {
  child = spawnCli(["--data-dir", data(), "start", ...FREE_PORT], { cwd: tmp.dir });
  await waitForOutput(child, /chipset is running/);
  const host = JSON.parse(readFileSync(join(data(), "host.json"), "utf8")) as { url: string; token: string };
  const headers = { authorization: `Bearer ${host.token}` };
  return {
    stateOf: async (id: string) =>
      ((await (await fetch(`${host.url}/v1/modules/${id}`, { headers })).json()) as { state: string }).state,
    control: async (id: string, action: string) => {
      const res = await fetch(`${host.url}/v1/modules/${id}/${action}`, { method: "POST", headers });
      expect(res.status, await res.clone().text()).toBe(200);
    },
    readyz: async () => (await fetch(`${host.url}/readyz`)).status,
  };
}

describe("a host started again brings back what operators started and stopped through its API", () => {
  for (const signal of ["SIGTERM", "SIGKILL"] as const) {
    it(`after ${signal}: the lazy module started runs again, the eager module stopped stays stopped`, async () => {
      const first = await startHost();
      await first.control("report", "start");
      await first.control("core", "stop");
      expect(await first.stateOf("report")).toBe("running");
      expect(await first.stateOf("core")).toBe("stopped");
      const ended = collect(child!);
      child!.kill(signal);
      expect((await ended).signal).toBe(signal === "SIGKILL" ? "SIGKILL" : null);

      const second = await startHost();
      expect(await second.stateOf("report")).toBe("running");
      expect(await second.stateOf("core")).not.toBe("running");
      // Stopped on purpose: not a reason to take the host out of service.
      expect(await second.readyz()).toBe(200);

      if (signal === "SIGKILL") return;
      // Started again by an operator: it runs after the next restart too.
      await second.control("core", "start");
      const again = collect(child!);
      child!.kill("SIGTERM");
      expect((await again).code).toBe(0);
      const third = await startHost();
      expect(await third.stateOf("core")).toBe("running");
    });
  }
});
