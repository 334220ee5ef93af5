// Process hosts and the signals of a terminal: a Ctrl-C reaches every process of the foreground
// process group, and only the runtime may decide how its children stop. The runtime runs in a
// fresh Node process (test/hosts/scripts/processGroup.mjs, on dist/) leading its own group, as a
// shell's foreground job does.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { linkSdk, packageRoot } from "../../src/hosts/sdkLink.js";
import { workspace, type Workspace } from "../support/fixtures.js";
import { ended, whenEnded } from "./harness.js";

const script = join(packageRoot(), "test", "hosts", "scripts", "processGroup.mjs");

interface Pids {
  loaded: number;
  idle: number;
}

let ws: Workspace;
let runtime: ChildProcess | undefined;
beforeEach(() => {
  ws = workspace();
  linkSdk(ws.modulesDir);
  ws.module({
    name: "echo",
    dirName: "echo",
    // A timer of its own, as most modules have: the child cannot just run out of work and exit.
    code: `let timer;
export const module = defineModule({
  start() { timer = setInterval(() => {}, 1000); },
  stop() { clearInterval(timer); },
  api: { echo(text) { return text; } },
});`,
  });
});
afterEach(() => {
  if (runtime?.exitCode === null && runtime.signalCode === null) runtime.kill("SIGKILL");
  ws.dispose();
});

/** Starts the script as the leader of a new process group; `line()` resolves with the next line it prints. */
function startRuntime(mode: "sigint" | "wait"): { child: ChildProcess; line: () => Promise<string> } {
  const child = spawn(process.execPath, [script, mode, ws.modulesDir], {
    stdio: ["ignore", "pipe", "inherit"],
    detached: true,
  });
  runtime = child;
  const lines: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  let partial = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop()!;
    for (const line of parts) {
      const next = waiting.shift();
      if (next) next(line);
      else lines.push(line);
    }
  });
  const exited = new Promise<never>((_, reject) =>
    child.once("exit", (code, signal) =>
      reject(new Error(`the runtime's process ended (${String(code ?? signal)}) before printing a line`)),
    ),
  );
  const line = () => {
    const ready = lines.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return Promise.race([new Promise<string>((resolve) => waiting.push(resolve)), exited]);
  };
  return { child, line };
}

describe.skipIf(process.platform === "win32")("process hosts and the runtime's process group", () => {
  it("keeps serving through a Ctrl-C sent to the runtime's process group, until the runtime ends them", async () => {
    const { child, line } = startRuntime("sigint");
    const pids = JSON.parse(await line()) as Pids;
    process.kill(-child.pid!, "SIGINT");
    const outcome = JSON.parse(await line()) as { answer: string; idleSignal: string | null };
    // Neither host received the SIGINT: the module still answered, and the idle host lived until
    // the runtime ended it (SIGKILL is how a host is ended).
    expect(outcome).toEqual({ answer: "still here", idleSignal: "SIGKILL" });
    await Promise.all([whenEnded(pids.loaded), whenEnded(pids.idle)]);
  });

  it("ends its process hosts, in use or idle, when the runtime's process is killed outright", async () => {
    const { child, line } = startRuntime("wait");
    const pids = JSON.parse(await line()) as Pids;
    expect(ended(pids.loaded) || ended(pids.idle)).toBe(false);
    child.kill("SIGKILL"); // no handler runs: only the closed IPC channel tells the hosts
    await Promise.all([whenEnded(pids.loaded), whenEnded(pids.idle)]);
  });
});
