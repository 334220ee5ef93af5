import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Debian's nats-server (`apt-get install -y nats-server`, as .ci/run does; it lands in
 * /usr/sbin), or the binary `NATS_SERVER` names.
 */
export const NATS_SERVER =
  process.env.NATS_SERVER ?? (existsSync("/usr/sbin/nats-server") ? "/usr/sbin/nats-server" : "nats-server");

/** A nats-server a test started: JetStream on, its store in a temp dir, on a loopback port. */
export interface NatsServer {
  /** `nats://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** Stops it (SIGTERM) and waits for it to exit; its store stays, so {@link startNats} with `port` and `storeDir` brings it back. */
  stop(): Promise<void>;
  /** Stops it and removes its store. */
  dispose(): Promise<void>;
  readonly storeDir: string;
}

/** What {@link startNats} takes: a port (default any free one), a store to reuse, a config file's text. */
export interface NatsServerOptions {
  port?: number;
  storeDir?: string;
  /** Extra lines of nats-server's config file (accounts, tls...). */
  config?: string;
}

/** Fails saying how to install nats-server when it is missing. */
function assertInstalled(): void {
  if (spawnSync(NATS_SERVER, ["--version"]).status !== 0)
    throw new Error(
      `the cluster tests need nats-server (${NATS_SERVER}): apt-get install -y nats-server (Debian), or set NATS_SERVER`,
    );
}

/**
 * Starts nats-server with JetStream on 127.0.0.1 and resolves once it is ready, with the port it
 * listens on (read from its log, as `-p -1` picks one).
 */
export async function startNats(options: NatsServerOptions = {}): Promise<NatsServer> {
  assertInstalled();
  const storeDir = options.storeDir ?? (await mkdtemp(join(tmpdir(), "chipset-nats-")));
  const args = ["-js", "-sd", storeDir, "-a", "127.0.0.1", "-p", String(options.port ?? -1)];
  if (options.config !== undefined) {
    const file = join(storeDir, "nats.conf");
    await writeFile(file, options.config);
    args.push("-c", file);
  }
  const child = spawn(NATS_SERVER, args, { stdio: ["ignore", "ignore", "pipe"] });
  const port = await new Promise<number>((resolve, reject) => {
    let log = "";
    let found: number | undefined;
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      const listening = /Listening for client connections on [^:\s]+:(\d+)/.exec(log);
      if (listening?.[1] !== undefined) found = Number(listening[1]);
      if (found !== undefined && log.includes("Server is ready")) {
        child.stderr?.off("data", onData);
        child.stderr?.resume();
        resolve(found);
      }
    };
    child.stderr?.on("data", onData);
    child.once("exit", (code) =>
      reject(new Error(`nats-server exited (${code}) before it was ready:\n${log}`)),
    );
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    await exited;
  };
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    process: child,
    storeDir,
    stop,
    dispose: async () => {
      await stop();
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}
