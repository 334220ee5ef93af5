import { once } from "node:events";
import { spawn, type ChildProcess } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The built CLI entry (`npm test` builds first through `pretest`). */
export const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

/** How a CLI process ended and what it printed. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Spawns `node dist/cli/main.js ...args` and collects its output; resolves on exit, whatever the status. */
export function chipset(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return collect(spawnCli(args, options));
}

/**
 * Spawns the CLI without waiting for it (for `start`, and for killing it). With `group`, it leads
 * a process group of its own, as a shell's foreground job does: `process.kill(-pid, "SIGINT")`
 * is then what a terminal's Ctrl-C does. `env` replaces the environment (default: the test's).
 */
export function spawnCli(
  args: readonly string[],
  options: { cwd?: string; group?: boolean; env?: NodeJS.ProcessEnv } = {},
): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? process.cwd(),
    ...(options.env === undefined ? {} : { env: options.env }),
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.group === true,
  });
}

/** Resolves with everything printed so far once stdout matches `pattern`; rejects if the process ends first. */
export function waitForOutput(child: ChildProcess, pattern: RegExp): Promise<string> {
  let seen = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      seen += chunk.toString("utf8");
      if (pattern.test(seen)) {
        child.stdout?.off("data", onData);
        resolve(seen);
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) =>
      reject(new Error(`exited with ${String(code)} before printing ${String(pattern)}:\n${seen}`)),
    );
  });
}

/** Collects a spawned process's output until it exits. */
export function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** A fresh temporary directory; `cleanup()` removes it. */
export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `chipset-${prefix}-`));
  // mkdtemp makes it 0700: a sandboxed module's user (where the machine has one) must pass through.
  await chmod(dir, 0o755);
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** What {@link writeModule} writes: the package.json fields and the entry's source. */
export interface ModuleSpec {
  name: string;
  version: string;
  chipset: Record<string, unknown>;
  /** Source of `index.js`. */
  code: string;
}

/** Writes a module directory `<root>/<name>` (package.json + index.js) and returns its path. */
export async function writeModule(root: string, spec: ModuleSpec): Promise<string> {
  const dir = join(root, spec.name);
  await mkdir(dir, { recursive: true });
  const pkg = {
    name: spec.name,
    version: spec.version,
    type: "module",
    exports: "./index.js",
    chipset: spec.chipset,
  };
  await writeFile(join(dir, "package.json"), JSON.stringify(pkg, null, 2));
  await writeFile(join(dir, "index.js"), spec.code);
  return dir;
}

/** Parses stdout as JSON, failing with the whole output when it is not. */
export function json<T>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(
      `stdout is not JSON (exit ${String(result.code)}):\n${result.stdout}\nstderr:\n${result.stderr}`,
    );
  }
}

/**
 * `chipset start`'s options for an HTTP API on any free loopback port: tests run side by side,
 * and the default port (7411) would be taken by the first.
 */
export const FREE_PORT = ["--http", "127.0.0.1:0"] as const;

/** A loopback port nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Ends a host started with {@link spawnCli} (SIGTERM, its graceful shutdown) and waits for it to exit; nothing if it already has. */
export async function stopHost(host: ChildProcess | undefined): Promise<void> {
  if (host === undefined || host.exitCode !== null || host.signalCode !== null) return;
  const exited = once(host, "exit");
  host.kill("SIGTERM");
  await exited;
}
