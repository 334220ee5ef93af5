import { fork, spawn, type ChildProcess } from "node:child_process";
import type { BootConfig, ChildToHost, HostToChild } from "../protocol.js";
import { sandboxFeatures } from "../sandboxFeatures.js";
import { STDERR_TAIL_BYTES } from "./Channel.js";
import { ChannelBase } from "./ChannelBase.js";
import type { SandboxCgroup } from "./cgroup.js";
import { sandboxLaunch, type SandboxSpec } from "./sandboxLaunch.js";

/** How long to wait, after a child process exited, for the rest of its output (ms). */
const STDERR_DRAIN_MS = 200;
/** How often to try again to remove a sandbox's cgroup whose killed processes are still being reaped (ms). */
const CGROUP_RETRY_MS = 20;

interface Refable {
  ref?(): void;
  unref?(): void;
}

/**
 * A module host in a forked child process (IPC with `serialization: "advanced"`). On POSIX the
 * child leads its own process group and session: a terminal's Ctrl-C (SIGINT to the whole
 * foreground group) or hangup reaches the runtime only, which then stops its modules itself. The
 * child still never outlives the runtime: it exits when its IPC channel closes (hosts/child/transport.ts).
 * Being a group leader also lets the runtime end what the module started: ending the host, or
 * its exit, signals the whole group, so a module's child processes do not outlive it (those
 * that started a group or session of their own do).
 *
 * A sandboxed host (`sandbox` given: a module with `permissions`) also gets what the machine
 * offers of {@link sandboxLaunch}: its own network namespace, an unprivileged user, and a cgroup
 * with kernel memory and pids limits, whose processes are all killed with the host, whatever
 * group or session they started.
 */
export class ProcessChannel extends ChannelBase {
  readonly isolation = "process" as const;
  private readonly child: ChildProcess;
  private tail = "";
  private readonly cgroup: SandboxCgroup | undefined;

  /**
   * Forks `entry` with exactly `execArgv` (never the runtime's own flags) and the environment
   * `env` (see `childEnvironment`), in a sandbox when `sandbox` is given. Throws when the
   * sandbox's cgroup cannot be made or joined.
   */
  constructor(
    entry: string,
    boot: BootConfig,
    execArgv: string[],
    env: NodeJS.ProcessEnv,
    sandbox?: SandboxSpec,
  ) {
    super();
    const options = {
      serialization: "advanced" as const,
      env,
      // Its console goes to the owner, which tags each line with the module.
      stdio: ["ignore", "pipe", "pipe", "ipc"] as Array<"ignore" | "pipe" | "ipc">,
      // On Windows, detached would give the child a console window of its own.
      detached: process.platform !== "win32",
    };
    const launch = sandbox === undefined ? undefined : sandboxLaunch(sandboxFeatures(), sandbox);
    this.cgroup = launch?.cgroup;
    const args = [JSON.stringify(boot)];
    const child =
      launch === undefined || launch.prefix.length === 0
        ? fork(entry, args, { ...options, execArgv })
        : spawn(
            launch.prefix[0]!,
            [...launch.prefix.slice(1), process.execPath, ...execArgv, entry, ...args],
            options,
          );
    this.child = child;
    this.pid = child.pid ?? 0;
    if (this.cgroup !== undefined && this.pid !== 0) {
      // Before the host's first message, so before any module code runs (and anything it starts).
      try {
        this.cgroup.join(this.pid);
      } catch (err) {
        this.killGroup();
        child.kill("SIGKILL");
        this.cgroup.remove();
        throw err;
      }
    }
    child.on("message", (msg: ChildToHost) => this.deliver(msg));
    const stdout = child.stdout!;
    stdout.setEncoding("utf8");
    stdout.on("data", (text: string) => this.onStdout?.(text));
    const stderr = child.stderr!;
    stderr.setEncoding("utf8");
    stderr.on("data", (text: string) => {
      this.tail = (this.tail + text).slice(-STDERR_TAIL_BYTES);
      this.onStderr?.(text);
    });
    child.on("error", (err) => {
      // Without a pid the process never started (spawn failed); later errors (a send on a
      // closed channel) are followed by the exit anyway.
      if (child.pid === undefined) this.ended({ code: null, signal: null, error: err, stderr: this.tail });
    });
    child.on("exit", (code, signal) => {
      this.killGroup();
      this.cgroup?.killAll();
      const oomKilled = this.cgroup?.oomKilled() ?? false;
      // Wait for the end of its output: a heap-exhaustion abort is told apart from
      // process.abort() by stderr, and the last lines of both belong to the module's log.
      const open = [stdout, stderr].filter((stream) => !stream.closed);
      const finish = () => {
        clearTimeout(timer);
        void this.removeCgroup().then(() =>
          this.ended({ code, signal, error: undefined, stderr: this.tail, oomKilled }),
        );
      };
      const timer = setTimeout(finish, STDERR_DRAIN_MS);
      let left = open.length;
      if (left === 0) finish();
      for (const stream of open)
        stream.once("close", () => {
          if (--left === 0) finish();
        });
    });
  }

  protected post(msg: HostToChild): void {
    if (this.alive && this.child.connected) this.child.send(msg);
  }

  protected keepAlive(on: boolean): void {
    const streams = [this.child.stdout, this.child.stderr] as Array<Refable | null>;
    if (on) {
      this.child.ref();
      this.child.channel?.ref();
      for (const stream of streams) stream?.ref?.();
    } else {
      this.child.unref();
      this.child.channel?.unref();
      for (const stream of streams) stream?.unref?.();
    }
  }

  protected kill(): void {
    this.cgroup?.killAll();
    if (!this.killGroup()) this.child.kill("SIGKILL");
  }

  /**
   * Removes the sandbox's cgroup once the processes killed in it are gone (they leave it when
   * reaped): tries again every {@link CGROUP_RETRY_MS} for up to a second, then leaves it to the
   * next runtime's clean-up of stale cgroups.
   */
  private async removeCgroup(): Promise<void> {
    const cgroup = this.cgroup;
    if (cgroup === undefined) return;
    for (let tries = 0; !cgroup.remove() && tries < 1000 / CGROUP_RETRY_MS; tries++)
      await new Promise((resolve) => setTimeout(resolve, CGROUP_RETRY_MS));
  }

  /** SIGKILLs the child's process group (POSIX: the child leads it); false when there is none left. */
  private killGroup(): boolean {
    if (process.platform === "win32" || this.pid === 0) return false;
    try {
      process.kill(-this.pid, "SIGKILL");
      return true;
    } catch {
      return false;
    }
  }
}
