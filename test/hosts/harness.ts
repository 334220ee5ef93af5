import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach } from "vitest";
import { systemClock } from "../../src/common/Clock.js";
import type { CrashInfo } from "../../src/vocabulary/hosts.js";
import type { HostBridge } from "../../src/hosts/HostBridge.js";
import { HostPool, type HostPoolOptions } from "../../src/hosts/HostPool.js";
import { IsolatedHost, type IsolatedHostOptions } from "../../src/hosts/IsolatedHost.js";
import { linkSdk } from "../../src/hosts/sdkLink.js";
import type { ModuleContext } from "../../src/module.js";
import { workspace, type Workspace } from "../support/fixtures.js";

/** Both isolations, for `describe.each`. */
export const isolations = ["worker", "process"] as const;

/** A line the module logged (or wrote to stderr), as the bridge received it. */
export interface LoggedLine {
  level: string;
  obj: unknown;
  msg: string | undefined;
}

/** A bridge that records what the module asked for, and lets a test wait for it. */
export class RecordingBridge implements HostBridge {
  readonly logs: LoggedLine[] = [];
  readonly uses: Array<{ target: string; method: string; args: unknown[]; optional: boolean }> = [];
  readonly checkpoints: unknown[] = [];
  /** What `use` answers; default: echoes `target.method(args)`. */
  answer: (
    target: string,
    method: string,
    args: unknown[],
    signal: AbortSignal | undefined,
  ) => Promise<unknown> = (target, method, args) => Promise.resolve(`${target}.${method}(${args.join(",")})`);
  private waiters: Array<{ match: (line: LoggedLine) => boolean; resolve: (line: LoggedLine) => void }> = [];

  use(
    target: string,
    method: string,
    args: unknown[],
    optional: boolean,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    this.uses.push({ target, method, args, optional });
    return this.answer(target, method, args, signal);
  }

  checkpoint(state: unknown): Promise<void> {
    this.checkpoints.push(state);
    return Promise.resolve();
  }

  log(level: "debug" | "info" | "warn" | "error", obj: unknown, msg: string | undefined): void {
    const line = { level, obj, msg };
    this.logs.push(line);
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(line)) return true;
      w.resolve(line);
      return false;
    });
  }

  /** Resolves with the first line (logged already or later) whose message contains `text`. */
  logged(text: string): Promise<LoggedLine> {
    const match = (line: LoggedLine) =>
      (line.msg ?? (typeof line.obj === "string" ? line.obj : "")).includes(text);
    const seen = this.logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }
}

/** A host made by the harness, with what its crash handler saw. */
export interface TestHost {
  host: IsolatedHost;
  /** `id@version` of the module. */
  key: string;
  bridge: RecordingBridge;
  /** Every crash reported to `onCrash`. */
  crashes: CrashInfo[];
  /** Resolves at the first crash. */
  crashed: Promise<CrashInfo>;
}

/** Options for {@link HostHarness.host}. */
export type HostOverrides = Partial<
  Omit<IsolatedHostOptions, "isolation" | "file" | "pool" | "bridge" | "clock">
>;

/** Per-test workspace (with the chipset SDK linked), host pool and hosts, all cleaned up after each test. */
export interface HostHarness {
  readonly ws: Workspace;
  readonly pool: HostPool;
  /** A host for a module whose index.js is `import { defineModule } from "chipset/module";` + `code`. */
  host(isolation: "worker" | "process", code: string, overrides?: HostOverrides): TestHost;
  /** {@link host}, loaded and with `init` and `start` run. */
  started(isolation: "worker" | "process", code: string, overrides?: HostOverrides): Promise<TestHost>;
}

let counter = 0;

/** Registers the hooks that give each test a fresh {@link HostHarness}. */
export function hostHarness(
  poolOptions: HostPoolOptions = { worker: 0, process: 0, heartbeatMs: 50 },
): HostHarness {
  let ws: Workspace | undefined;
  let pool: HostPool | undefined;
  let hosts: IsolatedHost[] = [];
  beforeEach(() => {
    ws = workspace();
    linkSdk(ws.modulesDir);
    pool = new HostPool(poolOptions);
  });
  afterEach(async () => {
    for (const host of hosts) host.unload();
    hosts = [];
    await pool!.destroy();
    ws!.dispose();
  });
  const harness: HostHarness = {
    get ws() {
      return ws!;
    },
    get pool() {
      return pool!;
    },
    host(isolation, code, overrides = {}) {
      const name = `mod-${++counter}`;
      const dir = ws!.module({ name, code });
      const bridge = new RecordingBridge();
      const crashes: CrashInfo[] = [];
      let onFirst!: (crash: CrashInfo) => void;
      const crashed = new Promise<CrashInfo>((resolve) => (onFirst = resolve));
      const host = new IsolatedHost({
        isolation,
        key: `${name}@1.0.0`,
        moduleId: name,
        version: "1.0.0",
        file: join(dir, "index.js"),
        requires: [],
        optional: [],
        baseDir: ws!.root,
        pool: pool!,
        clock: systemClock,
        bridge,
        hang: { timeoutMs: 30_000, failureThreshold: 1 },
        ...overrides,
      });
      host.onCrash((crash) => {
        crashes.push(crash);
        onFirst(crash);
      });
      hosts.push(host);
      return { host, key: `${name}@1.0.0`, bridge, crashes, crashed };
    },
    async started(isolation, code, overrides) {
      const made = harness.host(isolation, code, overrides);
      await made.host.load(deadline());
      await made.host.runHook("init", hookContext());
      await made.host.runHook("start", hookContext());
      return made;
    },
  };
  return harness;
}

/** A deadline that never fires. */
export function deadline(signal: AbortSignal = new AbortController().signal): {
  readonly signal: AbortSignal;
} {
  return { signal };
}

/** The parts of a `ctx` an isolated host reads: config, signal, and which optional dependencies are present. */
export function hookContext(
  options: { config?: unknown; signal?: AbortSignal; present?: string[] } = {},
): ModuleContext {
  const present = new Set(options.present ?? []);
  return {
    id: "test",
    version: "1.0.0",
    config: options.config ?? {},
    baseDir: "/",
    signal: options.signal ?? new AbortController().signal,
    log: { debug() {}, info() {}, warn() {}, error() {} },
    use: () => {
      throw new Error("not used by isolated hosts");
    },
    optional: ((id: string) => (present.has(id) ? {} : undefined)) as ModuleContext["optional"],
    onStop() {},
    checkpoint: () => Promise.resolve(),
  };
}

/** True when process `pid` no longer exists (`kill(pid, 0)` fails with ESRCH). */
export function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** True once process `pid` is gone or only a zombie waiting to be reaped. */
export function ended(pid: number): boolean {
  if (isGone(pid)) return true;
  try {
    // Linux: the state follows the command name in parentheses; Z is a zombie.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return false; // no procfs: kill(pid, 0) said it is alive
  }
}

/** Resolves once `pid` has ended. No event tells a process that an unrelated one ended: look every 20 ms. */
export function whenEnded(pid: number): Promise<void> {
  return new Promise((resolve) => {
    const look = () => (ended(pid) ? resolve() : setTimeout(look, 20));
    look();
  });
}
