import type { ChildProcess } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JsonExplanation } from "../../src/cli/HostClient.js";
import type { EnginePool } from "../../src/runtime/Engines.js";
import {
  chipset,
  FREE_PORT,
  json,
  spawnCli,
  stopHost,
  tempDir,
  waitForOutput,
  writeModule,
} from "./harness.js";

// Replicas and engine pools on a real host (`chipset start`): `pool`, a worker module with 2 to 4
// replicas, and two worker engines of type "calc": calc-a (math) and calc-b (math, gpu; zone eu).

const sdk = 'import { defineModule } from "chipset/module";\n';
let tmp: { dir: string; cleanup: () => Promise<void> };
let host: ChildProcess | undefined;
const data = () => ["--data-dir", join(tmp.dir, "data")];
const cli = (...args: string[]) => chipset([...data(), ...args], { cwd: tmp.dir });

beforeAll(async () => {
  tmp = await tempDir("engines");
  const modules = join(tmp.dir, "modules");
  await writeModule(modules, {
    name: "pool",
    version: "1.0.0",
    chipset: { kind: "demo", isolation: "worker", activation: "eager", replicas: { min: 2, max: 4 } },
    code: `${sdk}import { threadId } from "node:worker_threads";
export const module = defineModule({ api: { who: () => threadId } });`,
  });
  for (const [name, engine] of [
    ["calc-a", { type: "calc", capabilities: ["math"] }],
    ["calc-b", { type: "calc", capabilities: ["math", "gpu"], labels: { zone: "eu" } }],
  ] as const)
    await writeModule(modules, {
      name,
      version: "1.0.0",
      chipset: { kind: "calc", isolation: "worker", activation: "eager", engine },
      code: `${sdk}export const module = defineModule({
  api: { add: (a, b) => a + b, name: () => ${JSON.stringify(name)}, nothing() {} },
});`,
    });
  await writeFile(join(tmp.dir, "chipset.config.json"), JSON.stringify({ moduleDirs: ["./modules"] }));
  host = spawnCli([...data(), "start", ...FREE_PORT], { cwd: tmp.dir });
  await waitForOutput(host, /chipset is running/);
}, 60_000);

afterAll(async () => {
  await stopHost(host);
  await tmp.cleanup();
});

describe("chipset scale", () => {
  it("runs more replicas of a module; chipset ls shows each on a row of its own", async () => {
    const scaled = await cli("scale", "pool", "3", "--json");
    expect(scaled.code, scaled.stderr).toBe(0);
    expect(json(scaled)).toEqual({ id: "pool", version: "1.0.0", from: 2, to: 3 });
    const ls = await cli("ls");
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toMatch(/^pool\s+1\.0\.0\s+running\s+worker\s+\d+\s+\d+\s/m);
    expect(ls.stdout).toMatch(/^pool#1\s+1\.0\.0\s+running\s+worker\s+\d+\s+\d+\s/m);
    expect(ls.stdout).toMatch(/^pool#2\s+1\.0\.0\s+running\s+worker\s+\d+\s+\d+\s/m);
  });

  it("refuses a count over the module's max, naming the range, and keeps the replicas it had", async () => {
    const result = await cli("scale", "pool", "9");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /CHIP_ERR_OPTIONS_INVALID: pool@1\.0\.0 can run from 1 to 4 replicas .*not 9/,
    );
    expect((await cli("ls")).stdout).toMatch(/^pool#2\s/m);
  });

  it("refuses a count that is not a whole number as a usage error", async () => {
    const result = await cli("scale", "x", "abc");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/CHIP_ERR_CLI_USAGE: <count> takes a whole number of replicas.*"abc"/);
  });
});

describe("chipset replicas", () => {
  it("shows each replica of a module with its state, thread, health and rotation, as a table and as JSON", async () => {
    const called = await cli("call", "pool", "who");
    expect(called.code, called.stderr).toBe(0);
    const shown = await cli("replicas", "pool");
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^pool@1\.0\.0: \d of \d replicas asked \(min 2, max 4\), round_robin$/m);
    expect(shown.stdout).toMatch(/^\s+KEY\s+STATE\s+WHERE\s+HEALTH\s+ROTATION/m);
    expect(shown.stdout).toMatch(/^\s+pool@1\.0\.0#1\s+running\s+thread \d+\s+(unknown|healthy)\s+in\s/m);
    const asJson = await cli("replicas", "--json");
    expect(asJson.code, asJson.stderr).toBe(0);
    const [set] =
      json<Array<{ id: string; members: Array<{ key: string; health: string; calls: number }> }>>(asJson);
    expect(set?.id).toBe("pool");
    expect(set?.members[0]).toMatchObject({ key: "pool@1.0.0" });
    expect(set?.members.reduce((n, m) => n + m.calls, 0)).toBeGreaterThan(0);
  });

  it("says which modules have replicas when the one named has none", async () => {
    const result = await cli("replicas", "calc-a");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /CHIP_ERR_MODULE_NOT_FOUND: calc-a has no replicas on the host: the replicated modules are pool@1\.0\.0/,
    );
  });
});

describe("the replica metrics", () => {
  it("carry a replica label: /metrics has a series for replica 1 of the replicated module", async () => {
    const { url, token } = JSON.parse(await readFile(join(tmp.dir, "data", "host.json"), "utf8")) as {
      url: string;
      token: string;
    };
    const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^chipset_module_\w+\{[^}]*module="pool"[^}]*replica="1"[^}]*\} /m);
    expect(text).toMatch(/^chipset_module_\w+\{[^}]*module="pool"[^}]*replica="0"[^}]*\} /m);
  });
});

describe("chipset engines", () => {
  it("lists each pool with its members' state, health, rotation, load and capabilities", async () => {
    const result = await cli("engines");
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines[0]).toBe("calc (2 members)");
    expect(lines[1]).toMatch(
      /^ {2}KEY\s+STATE\s+HEALTH\s+ROTATION\s+INFLIGHT\s+LOAD\s+CALLS\s+CAPABILITIES$/,
    );
    expect(result.stdout).toMatch(/^ {2}calc-a@1\.0\.0\s+running\s+\w+\s+in\s+0\/\d+\s+1\.00\s+\d+\s+math$/m);
    expect(result.stdout).toMatch(
      /^ {2}calc-b@1\.0\.0\s+running\s+\w+\s+in\s+0\/\d+\s+1\.00\s+\d+\s+math, gpu$/m,
    );
    expect(result.stdout).not.toContain("pool");
    const pools = json<EnginePool[]>(await cli("engines", "--json"));
    expect(pools).toHaveLength(1);
    expect(pools[0]!.members[1]).toMatchObject({
      key: "calc-b@1.0.0",
      id: "calc-b",
      replica: 0,
      inRotation: true,
      capabilities: ["math", "gpu"],
      labels: { zone: "eu" },
      inflight: 0,
      load: 1,
    });
  });
});

describe("chipset dispatch --explain", () => {
  it("shows every engine's score factor by factor and marks the one the score picks", async () => {
    const result = await cli("dispatch", "--explain", "--type", "calc", "--capability", "gpu");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      "request   type calc, capabilities gpu\nstrategy  score\npicks     calc-b@1.0.0\n",
    );
    expect(result.stdout).toMatch(
      /^weights {3}type 40, capability 25, load 20, performance 10, affinity 5$/m,
    );
    expect(result.stdout).toMatch(
      /KEY\s+ELIGIBLE\s+HEALTH\s+TYPE\s+CAPABILITY\s+LOAD\s+PERF\s+AFFINITY\s+SCORE/,
    );
    // calc-a lacks gpu: its capability factor is 0; calc-b has it, and is picked.
    expect(result.stdout).toMatch(
      /^ {3}calc-a@1\.0\.0\s+yes\s+\w+\s+1\.00\s+0\.00\s+1\.00\s+[\d.]+\s+[\d.]+\s+0\.\d\d$/m,
    );
    expect(result.stdout).toMatch(
      /^\* {2}calc-b@1\.0\.0\s+yes\s+\w+\s+1\.00\s+1\.00\s+1\.00\s+[\d.]+\s+[\d.]+\s+[\d.]+$/m,
    );
  });

  it("says why an engine is not eligible, and --json carries every factor", async () => {
    const result = await cli(
      "dispatch",
      "--explain",
      "--type",
      "calc",
      "--strategy",
      "capability",
      "--capability",
      "gpu",
      "--label",
      "zone=eu",
      "--json",
    );
    expect(result.code, result.stderr).toBe(0);
    const x = json<JsonExplanation>(result);
    expect(x).toMatchObject({ strategy: "capability", picked: "calc-b@1.0.0", pickKnown: true });
    expect(x.request).toEqual({
      type: "calc",
      capabilities: ["gpu"],
      labels: { zone: "eu" },
      strategy: "capability",
    });
    const [a, b] = x.candidates;
    expect(a).toMatchObject({
      key: "calc-a@1.0.0",
      module: "calc-a",
      engineType: "calc",
      eligible: false,
      picked: false,
      missingCapabilities: ["gpu"],
      excluded: [{ reason: "capability_missing", message: 'lacks "gpu"' }],
    });
    expect(b).toMatchObject({ eligible: true, picked: true, excluded: [] });
    expect(b).toHaveProperty("meanMs"); // null before its first call: JSON has no undefined
    expect(b!.score.factors).toEqual({
      type: 1,
      capability: 1,
      load: 1,
      performance: expect.any(Number) as number,
      affinity: 1,
    });
    expect(b!.score.weights).toEqual({ type: 40, capability: 25, load: 20, performance: 10, affinity: 5 });
    expect(b!.score.total).toBeGreaterThan(a!.score.total!);
    const text = await cli(
      "dispatch",
      "--explain",
      "--type",
      "calc",
      "--strategy",
      "capability",
      "--capability",
      "gpu",
    );
    expect(text.stdout).toMatch(/^ {3}calc-a@1\.0\.0\s+no\s.*lacks "gpu"$/m);
  });

  it("refuses a --label without a value, and a dispatch without --explain, as usage errors", async () => {
    const label = await cli("dispatch", "--explain", "--type", "calc", "--label", "novalue");
    expect(label.code).toBe(2);
    expect(label.stderr).toMatch(/CHIP_ERR_CLI_USAGE: --label takes name=value .*"novalue"/);
    const bare = await cli("dispatch", "--type", "calc");
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/CHIP_ERR_CLI_USAGE: `dispatch` needs --explain/);
  });

  it("needs a running host: CHIP_ERR_HOST_NOT_RUNNING for another data directory", async () => {
    for (const command of [["dispatch", "--explain", "--type", "calc"], ["engines"]]) {
      const result = await chipset(["--data-dir", join(tmp.dir, "empty"), ...command], { cwd: tmp.dir });
      expect(result.code, command.join(" ")).toBe(1);
      expect(result.stderr).toMatch(
        /CHIP_ERR_HOST_NOT_RUNNING: `(dispatch --explain|engines)` acts on the running host/,
      );
    }
  });
});

describe("chipset execute", () => {
  it("calls the engine the request picks, and with --on the engine named", async () => {
    const picked = await cli("execute", "--type", "calc", "--capability", "gpu", "name", "--json");
    expect(picked.code, picked.stderr).toBe(0);
    expect(json(picked)).toEqual({ result: "calc-b" });
    const sum = await cli("execute", "--type", "calc", "add", "40", "2");
    expect(sum.code, sum.stderr).toBe(0);
    expect(sum.stdout).toBe("42\n");
    const on = await cli("execute", "--on", "calc-a@1.0.0", "name");
    expect(on.stdout).toBe('"calc-a"\n');
    expect((await cli("execute", "--on", "calc-a@1.0.0", "nothing", "--json")).stdout).toBe(
      '{\n  "result": null\n}\n',
    );
  });

  it("refuses a type no module declares (exit 1), and arguments that are not JSON (exit 2)", async () => {
    const none = await cli("execute", "--type", "onnx", "add", "1", "2");
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(
      /CHIP_ERR_MODULE_NOT_FOUND: no installed module declares an engine of type "onnx"/,
    );
    const bad = await cli("execute", "--type", "calc", "add", "one");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/CHIP_ERR_CLI_USAGE: argument 1 of execute, one, is not valid JSON/);
  });
});
