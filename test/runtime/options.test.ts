import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ChipsetError,
  createRuntime,
  ErrorCodes,
  systemClock,
  type Runtime,
  type RuntimeOptions,
} from "../../src/index.js";
import { workspace, type Workspace } from "../support/fixtures.js";

let ws: Workspace;
let opened: Runtime[] = [];
beforeEach(() => {
  ws = workspace();
});
afterEach(async () => {
  for (const rt of opened) await rt.close();
  opened = [];
  ws.dispose();
});

/** What createRuntime threw for `options` (on a fresh data dir), or fails when it did not throw. */
function rejection(options: unknown): ChipsetError {
  try {
    opened.push(createRuntime({ dataDir: ws.dataDir, ...(options as RuntimeOptions) }));
  } catch (err) {
    expect(err).toBeInstanceOf(ChipsetError);
    return err as ChipsetError;
  }
  throw new Error(`createRuntime accepted ${JSON.stringify(options)}`);
}

/** A chipset.config.json holding `defaults`, in the workspace. */
function configWithDefaults(defaults: unknown): string {
  const file = join(ws.root, "chipset.config.json");
  writeFileSync(file, JSON.stringify({ defaults }));
  return file;
}

describe("createRuntime options", () => {
  it("refuses the options a new user passed, naming each field, and creates no data dir", () => {
    const err = rejection({ hookTimeoutMs: "x", bogus: 1, restart: { maxRestarts: "many" } });
    expect(err.code).toBe(ErrorCodes.OPTIONS_INVALID);
    expect(err.details).toMatchObject({
      field: "hookTimeoutMs",
      found: '"x"',
      expected: expect.stringContaining("a positive integer number of milliseconds") as unknown,
    });
    const errors = (err.details as { errors: Array<{ field: string }> }).errors;
    expect(errors.map((e) => e.field)).toEqual(["hookTimeoutMs", "bogus", "restart.maxRestarts"]);
    expect(err.message).toMatch(
      /^Invalid runtime options: "hookTimeoutMs" is invalid; expected .*, found "x"/,
    );
    expect(err.message).toContain('"bogus" is not a known field');
    expect(err.message).toContain('"restart.maxRestarts" is invalid');
    expect(existsSync(ws.dataDir)).toBe(false);
  });

  it.each([
    [{ hookTimeout: 5000 }, "hookTimeout", "hookTimeoutMs"],
    [{ datadir: "x" }, "datadir", "dataDir"],
    [{ hosts: { heartbeat: 50 } }, "hosts.heartbeat", "heartbeatMs"],
    [{ restart: { maxRestart: 3 } }, "restart.maxRestart", "maxRestarts"],
    [{ pause: { maxWait: 10 } }, "pause.maxWait", "maxWaitMs"],
    [{ anomalies: { sustain: 5 } }, "anomalies.sustain", "sustainMs"],
  ])("refuses the unknown option in %j, suggesting the close one", (options, field, guess) => {
    const err = rejection(options);
    expect(err).toMatchObject({ code: ErrorCodes.OPTIONS_INVALID, details: { field } });
    expect(err.message).toContain(`"${field}" is not a known field (did you mean "${guess}"?)`);
    expect(existsSync(ws.dataDir)).toBe(false);
  });

  it.each<[string, unknown, string, string]>([
    ["the whole options", null, "", "null"],
    ["dataDir", { dataDir: ["data"] }, "dataDir", '["data"]'],
    ["configFile", { configFile: 42 }, "configFile", "42"],
    ["moduleDirs", { moduleDirs: "./modules" }, "moduleDirs", '"./modules"'],
    ["a module dir", { moduleDirs: ["./modules", 3] }, "moduleDirs.1", "3"],
    ["a config id", { config: { "Not An Id": {} } }, "config.Not An Id", '"Not An Id"'],
    ["a module's config", { config: { player: 5 } }, "config.player", "5"],
    ["hookTimeoutMs", { hookTimeoutMs: 0 }, "hookTimeoutMs", "0"],
    ["a fractional hookTimeoutMs", { hookTimeoutMs: 1.5 }, "hookTimeoutMs", "1.5"],
    ["a NaN hookTimeoutMs", { hookTimeoutMs: Number.NaN }, "hookTimeoutMs", "NaN"],
    ["shutdownTimeoutMs", { shutdownTimeoutMs: -1 }, "shutdownTimeoutMs", "-1"],
    ["idleUnloadMs past a timer's range", { idleUnloadMs: 2 ** 31 }, "idleUnloadMs", "2147483648"],
    ["preload", { preload: -1 }, "preload", "-1"],
    ["preloadDelayMs", { preloadDelayMs: "200" }, "preloadDelayMs", '"200"'],
    ["pause.maxWaiting", { pause: { maxWaiting: -1 } }, "pause.maxWaiting", "-1"],
    ["pause.maxWaitMs", { pause: { maxWaitMs: 0 } }, "pause.maxWaitMs", "0"],
    ["clock", { clock: Date }, "clock", "a function"],
    [
      "a clock missing methods",
      { clock: { now: () => 0 } },
      "clock",
      "an object without wallNow, setTimeout",
    ],
    ["logger", { logger: console }, "logger", "an object without child"],
    ["logLevel", { logLevel: "verbose" }, "logLevel", '"verbose"'],
    ["hosts.pool.worker", { hosts: { pool: { worker: -1 } } }, "hosts.pool.worker", "-1"],
    ["hosts.heartbeatMs", { hosts: { heartbeatMs: 0 } }, "hosts.heartbeatMs", "0"],
    ["hosts.hangTimeoutMs", { hosts: { hangTimeoutMs: "5s" } }, "hosts.hangTimeoutMs", '"5s"'],
    ["hosts.hangFailureThreshold", { hosts: { hangFailureThreshold: 0 } }, "hosts.hangFailureThreshold", "0"],
    ["environment.root", { environment: { root: 5 } }, "environment.root", "5"],
    ["environment.env", { environment: { env: { CI: true } } }, "environment.env.CI", "true"],
    ["restart.policy", { restart: { policy: "always" } }, "restart.policy", '"always"'],
    ["restart.jitter", { restart: { jitter: 2 } }, "restart.jitter", "2"],
    [
      "restart.onDependencyCrash",
      { restart: { onDependencyCrash: "ignore" } },
      "restart.onDependencyCrash",
      '"ignore"',
    ],
    ["inlineCrashes", { inlineCrashes: "yes" }, "inlineCrashes", '"yes"'],
    ["stallMs", { stallMs: 0 }, "stallMs", "0"],
    ["random", { random: 0.5 }, "random", "0.5"],
    ["policies", { policies: [] }, "policies", "[]"],
    ["a policies id", { policies: { "Not An Id": {} } }, "policies.Not An Id", '"Not An Id"'],
    ["anomalies", { anomalies: true }, "anomalies", "true"],
    ["anomalies.minSamples", { anomalies: { minSamples: 0 } }, "anomalies.minSamples", "0"],
    ["anomalies.errorRateRise", { anomalies: { errorRateRise: 1.5 } }, "anomalies.errorRateRise", "1.5"],
    ["anomalies.memorySampleMs", { anomalies: { memorySampleMs: 0 } }, "anomalies.memorySampleMs", "0"],
    ["resources.sampleMs", { resources: { sampleMs: -5 } }, "resources.sampleMs", "-5"],
    ["resources.limits.warnAt", { resources: { limits: { warnAt: 1.5 } } }, "resources.limits.warnAt", "1.5"],
    [
      "resources.limits.action",
      { resources: { limits: { action: "kill" } } },
      "resources.limits.action",
      '"kill"',
    ],
  ])(
    "refuses a bad %s, naming the field, what it found and what it expects",
    (_what, options, field, found) => {
      const err =
        options === null
          ? captured(() => createRuntime(null as unknown as RuntimeOptions))
          : rejection(options);
      expect(err.code).toBe(ErrorCodes.OPTIONS_INVALID);
      expect(err.details).toMatchObject({ field, found });
      const { expected } = err.details as { expected: string };
      expect(expected.length).toBeGreaterThan(0);
      expect(err.message).toContain(`expected ${expected}, found ${found}`);
      expect(existsSync(ws.dataDir)).toBe(false);
    },
  );

  it("accepts every documented option with a good value, at the edges of each range", async () => {
    const file = configWithDefaults({
      hookTimeoutMs: 1,
      shutdownTimeoutMs: 2_147_483_647,
      idleUnloadMs: 0,
      preload: 0,
    });
    const good: Required<RuntimeOptions> = {
      dataDir: ws.dataDir,
      readOnly: false,
      configFile: file,
      moduleDirs: [ws.modulesDir],
      config: { player: { bufferMs: 500 }, "@scope/codec": {} },
      use: {},
      overrides: {},
      triggers: { timeZone: "UTC", idleUnloadMs: 0 },
      dispatch: {
        strategy: "least_loaded",
        defaultEngineType: "wasm",
        maxEngines: 0,
        startTimeoutMs: 1,
        stopTimeoutMs: 2_147_483_647,
        maxQueue: 0,
        requestTimeoutMs: 0,
      },
      resources: {
        sampleMs: 0,
        limits: {
          memoryMb: 0.5,
          cpuPercent: 400,
          diskMbPerMin: 1,
          networkMbPerMin: 1,
          warnAt: 1,
          action: "stop",
        },
        rawRetentionMs: 1,
        rollupRetentionMs: 2_147_483_647,
        maxRows: 1000,
        reportEveryMs: 0,
      },
      hookTimeoutMs: 2_147_483_647,
      shutdownTimeoutMs: 1,
      idleUnloadMs: 0,
      preload: 0,
      preloadDelayMs: 0,
      pause: { maxWaiting: 0, maxWaitMs: 1 },
      clock: systemClock,
      logger: pino({ level: "silent" }),
      logLevel: "silent",
      hosts: {
        pool: { worker: 0, process: 0 },
        heartbeatMs: 1,
        hangTimeoutMs: 2_147_483_647,
        hangFailureThreshold: 1000,
      },
      restart: {
        policy: "transient",
        maxRestarts: 0,
        withinMs: 1,
        initialDelayMs: 0,
        maxDelayMs: 1,
        resetAfterMs: 0,
        onDependencyCrash: "restart",
        jitter: 1,
      },
      inlineCrashes: false,
      stallMs: 1,
      random: () => 0,
      calls: { timeoutMs: 1000 },
      policies: { player: { retry: { maxAttempts: 2 } } },
      environment: { root: "/", env: { CI: "true" } },
      anomalies: {
        minSamples: 1,
        latencyDeviations: 0,
        latencyRatio: 1,
        latencyMinRiseMs: 0,
        errorRateRise: 1,
        sustainMs: 0,
        memoryMbPerMin: 0.5,
        memoryWindowMs: 1,
        memoryMinGrowthMb: 0,
        memorySampleMs: 1,
      },
    };
    const rt = createRuntime(good);
    opened.push(rt);
    expect(rt.dataDir).toBe(ws.dataDir);
    for (const variant of [
      { anomalies: false as const, restart: { jitter: 0 } },
      { hookTimeoutMs: undefined, hosts: { pool: {} }, pause: {}, restart: {}, anomalies: {} },
      {},
    ]) {
      await opened.pop()!.close();
      opened.push(createRuntime({ dataDir: ws.dataDir, logLevel: "silent", ...variant }));
    }
  });

  it("checks calls and policies with the call policy rules (CHIP_ERR_POLICY_INVALID)", () => {
    expect(rejection({ calls: 5 })).toMatchObject({ code: ErrorCodes.POLICY_INVALID });
    expect(rejection({ policies: { player: { timeoutMs: "soon" } } })).toMatchObject({
      code: ErrorCodes.POLICY_INVALID,
      details: { field: "calls.timeoutMs" },
    });
    expect(existsSync(ws.dataDir)).toBe(false);
  });
});

describe("a config file's defaults", () => {
  it("are refused where the option they feed would be, naming the file and the field", () => {
    const file = configWithDefaults({ hookTimeoutMs: 0 });
    const err = rejection({ configFile: file });
    expect(err).toMatchObject({
      code: ErrorCodes.OPTIONS_INVALID,
      details: { file, field: "defaults.hookTimeoutMs", found: "0" },
    });
    expect(existsSync(ws.dataDir)).toBe(false);
  });

  it.each(["hookTimeoutMs", "shutdownTimeoutMs", "idleUnloadMs", "preload"])(
    "accept exactly the values of %s that the option accepts",
    (field) => {
      for (const value of [-1, 0, 1, 1.5, 2_147_483_647, 2 ** 31, 2 ** 53, "5"]) {
        const asOption = outcome(() =>
          createRuntime({ dataDir: ws.dataDir, logLevel: "silent", [field]: value }),
        );
        const file = configWithDefaults({ [field]: value });
        const asDefault = outcome(() =>
          createRuntime({ dataDir: ws.dataDir, logLevel: "silent", configFile: file }),
        );
        expect(asDefault, `${field}: ${value}`).toBe(asOption);
      }
    },
  );
});

/** "ok" when `open` returned a runtime (closed at the end of the test), else the error's code. */
function outcome(open: () => Runtime): string {
  try {
    opened.push(open());
    return "ok";
  } catch (err) {
    return (err as ChipsetError).code;
  }
}

function captured(fn: () => unknown): ChipsetError {
  try {
    fn();
  } catch (err) {
    return err as ChipsetError;
  }
  throw new Error("it did not throw");
}
