import type { Command } from "commander";
import { newToken, readTokenFile } from "../../server/BearerToken.js";
import { assertNoLiveHost, hostFilePath, removeHostFile } from "../../server/hostFile.js";
import type { ServedHost } from "../../server/serveHost.js";
import { assertExposureAllowed, parseListenAddress, type ListenAddress } from "../../server/listenAddress.js";
import type { Runtime } from "../../runtime/Runtime.js";
import type { DownAtShutdown, ShutdownReport } from "../../runtime/shutdown.js";
import { openRuntime, type CliContext, type GlobalOptions } from "../context.js";
import { DEFAULT_READY_TIMEOUT_MS } from "../commands/defaults.js";
import { followEvents } from "../describeEvent.js";
import { key, list, ms, timeOfDay } from "../format.js";
import { usageError } from "../usage.js";
import { runControl } from "./controlAction.js";
import { globalsOf } from "../commands/globals.js";
import type { HostClusterOptions, StartOptions } from "../commands/startOptions.js";
import type { Cluster, ClusterOptions } from "../../cluster/Cluster.js";
import { resolve } from "node:path";

/** Exit status when a second Ctrl-C cuts shutdown short (128 + SIGINT). */
export const FORCED_EXIT_CODE = 130;

function readyTimeout(text: string | undefined): number {
  if (text === undefined) return DEFAULT_READY_TIMEOUT_MS;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw usageError(`--ready-timeout must be a positive integer number of ms, got ${text}`, {
      readyTimeout: text,
    });
  return value;
}

/** Where and with which token the host's API serves, and the cluster it joins (`--cluster`). */
export interface HostApiOptions {
  address: ListenAddress;
  token: string;
  /** `--cluster` as given (passed on by `--detach`), and the settings it makes. */
  cluster?: { options: HostClusterOptions; settings: HostCluster };
}

/** A cluster to join, checked, name and node filled in. */
type HostCluster = ClusterOptions & { name: string; node: string };

/**
 * Checks `--http` and `--token-file` before anything is opened: `CHIP_ERR_CLI_USAGE` for a
 * malformed address, an unreadable or short token file, or an address other machines can reach
 * without a token file.
 */
function hostOptions(opts: { http: string; tokenFile?: string }, cwd: string): HostApiOptions {
  const address = parseListenAddress(opts.http);
  assertExposureAllowed(address, opts.tokenFile !== undefined);
  const token = opts.tokenFile === undefined ? newToken() : readTokenFile(resolve(cwd, opts.tokenFile));
  return { address, token };
}

/**
 * Starts the runtime and its HTTP API (`api`), prints events as they happen, then waits for
 * SIGINT, SIGTERM or `POST /v1/shutdown` and shuts down: the API first, then the modules
 * (dependents first). The API listens before the eager modules start (the probes and the event
 * stream see the start-up), and `<data-dir>/host.json` names it from then until the modules have
 * stopped. Log records go to `<data-dir>/logs/modules.log` too, at the config file's `logs.level`.
 * Throws `CHIP_ERR_HOST_RUNNING` when another live host serves the data directory. Sets
 * `ctx.exitCode` to 1 when start-up or shutdown failed. A second signal during shutdown exits at
 * once with {@link FORCED_EXIT_CODE}.
 */
export async function runForeground(
  globals: GlobalOptions,
  ctx: CliContext,
  api: HostApiOptions,
): Promise<void> {
  const say = (text: string): void => ctx.out.line(`${timeOfDay(new Date())} ${text}`);
  assertNoLiveHost(globals.dataDir);
  const { openHostLog } = await import("../logs/openHostLog.js");
  const file = openHostLog(globals.dataDir, globals.configFile);
  const stop = awaitStopSignal(say);
  try {
    // Module failures are shown as `module.failed` events: the runtime's own record of them would say it twice.
    const { runtime } = await openRuntime(globals, ctx, "drop", false, file);
    const events = followEvents(runtime, say);
    let server: ServedHost | undefined;
    let cluster: Cluster | undefined;
    try {
      server = await serveApi(runtime, api, globals.dataDir, file.file, say, () =>
        stop.request("shutdown requested"),
      );
      // The start-up scan ran inside createRuntime, before anyone could subscribe: replay it.
      for (const status of ["added", "replaced", "unchanged"] as const) {
        for (const record of runtime.lastScan[status])
          say(`registered ${key(record.id, record.version)} (${status}) from ${record.source}`);
      }
      for (const { dir, error } of runtime.lastScan.rejected)
        say(`rejected ${dir}: ${error.code}: ${error.message}`);
      await runtime.start();
      // `chipset update` and `chipset rollback` from another terminal reach this process.
      runtime.serveUpdateRequests();
      if (api.cluster !== undefined) cluster = await joinAsHost(runtime, api.cluster.settings, say);
      summarise(runtime, say);
      say(`chipset is running (pid ${process.pid}, data dir ${globals.dataDir}); press Ctrl-C to stop`);
      await stop.requested;
    } catch (err) {
      ctx.exitCode = ctx.out.error(err, false);
      say("stopping after a start-up failure...");
    } finally {
      // The cluster first: nothing is installed from it while the host shuts down.
      await cluster?.close();
      // New requests stop before the modules do; open event streams end.
      await server?.close();
      const began = performance.now();
      const report = await runtime.close().catch((err: unknown): ShutdownReport => {
        ctx.exitCode = ctx.out.error(err, false);
        return { stopped: [], failed: [], down: [] };
      });
      events.dispose();
      // Only now (serveHost does it once the runtime has stopped; this is for a shutdown that
      // failed): until its modules have stopped, this host owns the data directory, and a
      // `chipset shutdown` waits for this file to go.
      removeHostFile(globals.dataDir);
      reportShutdown(report, performance.now() - began, say, ctx);
    }
  } finally {
    stop.dispose();
    await file.stream.close();
  }
}

/**
 * The cluster `--cluster`, `--node` and `--cluster-name` name, with the config file's credentials
 * (its `cluster` section), checked before anything starts: `CHIP_ERR_CLUSTER_CONFIG_INVALID`
 * names a bad URL, node name or secret file.
 */
async function clusterSettings(options: HostClusterOptions, globals: GlobalOptions): Promise<HostCluster> {
  const [{ defaultNodeName }, { natsOptions }, { loadConfigFile }] = await Promise.all([
    import("../../cluster/Cluster.js"),
    import("../../cluster/connectNats.js"),
    import("../../registry/ConfigFile.js"),
  ]);
  const credentials = globals.configFile === undefined ? {} : loadConfigFile(globals.configFile).cluster;
  const settings = {
    ...credentials,
    url: options.url,
    name: options.name ?? "chipset",
    node: options.node ?? defaultNodeName(),
  };
  natsOptions(settings);
  return settings;
}

/** Joins the cluster, saying on one line each what it does: joined, working alone, versions published, installed or refused. */
async function joinAsHost(
  runtime: Runtime,
  settings: HostCluster,
  say: (text: string) => void,
): Promise<Cluster> {
  const [{ joinCluster }, { describeClusterEvent }] = await Promise.all([
    import("../../cluster/Cluster.js"),
    import("../describeCluster.js"),
  ]);
  return joinCluster(runtime, {
    ...settings,
    onEvent: (event) => say(describeClusterEvent(event, settings.name, settings.node)),
  });
}

/** Serves the HTTP API and writes host.json naming it. */
async function serveApi(
  runtime: Runtime,
  api: HostApiOptions,
  dataDir: string,
  logFile: string,
  say: (text: string) => void,
  onShutdown: () => void,
): Promise<ServedHost> {
  const { serveHost } = await import("../../server/serveHost.js");
  const server = await serveHost(runtime, {
    ...api.address,
    token: api.token,
    onShutdown,
    logs: { file: logFile },
  });
  say(
    `HTTP API at ${server.url} (dashboard at ${server.url}/, OpenAPI at ${server.url}/openapi.json; bearer token in ${hostFilePath(dataDir)})`,
  );
  return server;
}

function summarise(runtime: Runtime, say: (text: string) => void): void {
  const modules = runtime.queries.list();
  const running = modules.filter((m) => m.state === "running");
  const runningIds = new Set(running.map((m) => m.id));
  const seen = new Set<string>();
  // list() puts the highest version of each id first: show that one for idle modules.
  const idle = modules.filter((m) => !runningIds.has(m.id) && !seen.has(m.id) && seen.add(m.id));
  const how = (m: (typeof modules)[number]) =>
    typeof m.activation === "object" ? ` (on ${m.activation.onEvent.join(", ")})` : "";
  say(`running (${running.length}): ${list(running.map((m) => key(m.id, m.version)))}`);
  say(
    `lazy, loaded on first use (${idle.length}): ${list(idle.map((m) => `${key(m.id, m.version)}${how(m)}`))}`,
  );
}

function reportShutdown(
  report: ShutdownReport,
  durationMs: number,
  say: (text: string) => void,
  ctx: CliContext,
): void {
  for (const { error } of report.failed) ctx.out.error(error, false);
  if (report.failed.length > 0) ctx.exitCode = 1;
  for (const down of report.down) say(describeDown(down));
  const failed = report.failed.length > 0 ? `; failed to stop: ${list(report.failed.map((f) => f.id))}` : "";
  const down = report.down.length > 0 ? `; down already: ${list(report.down.map((d) => d.id))}` : "";
  say(`stopped in ${ms(durationMs)}: ${list(report.stopped, "nothing was running")}${failed}${down}`);
}

/** What became of a module that was down when shutdown reached it (it had nothing to stop). */
function describeDown({ id, status, error }: DownAtShutdown): string {
  const why = error === undefined ? "" : ` (${error.code}: ${error.message})`;
  if (status === "crashed") return `not stopped: ${id} had crashed${why}; its restart is cancelled`;
  if (status === "restarting")
    return `not stopped: ${id} was being restarted after a crash${why}; the restart is abandoned`;
  return `not stopped: ${id} had failed${why}`;
}

/**
 * The first SIGINT/SIGTERM (or `request`) resolves `requested`; a second signal exits at once,
 * a second request is ignored. Dispose when shutdown is over.
 */
function awaitStopSignal(say: (text: string) => void): {
  requested: Promise<string>;
  /** Asks for the shutdown as a signal would, `why` said on the line that announces it. */
  request(why: string): void;
  dispose(): void;
} {
  let resolveStop!: (why: string) => void;
  const requested = new Promise<string>((resolve) => (resolveStop = resolve));
  let requests = 0;
  // Signal handlers do not keep Node alive, and the runtime's timers are unref'd: this timer keeps
  // the process up while it waits and while it shuts down.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++signals > 1) {
      say(`${signal} again: exiting now without finishing shutdown`);
      process.exit(FORCED_EXIT_CODE);
    }
    say(`${signal} received: stopping... (press Ctrl-C again to force)`);
    resolveStop(signal);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    requested,
    request(why) {
      if (signals > 0 || requests++ > 0) return;
      say(`${why}: stopping...`);
      resolveStop(why);
    },
    dispose() {
      clearInterval(keepAlive);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}

/** `chipset start`: what it does once commander has parsed its arguments (see commands/). */
export async function start(
  ctx: CliContext,
  ref: string | undefined,
  opts: StartOptions,
  cmd: Command,
): Promise<void> {
  const globals = globalsOf(cmd, ctx);
  if (ref !== undefined) {
    if (cmd.getOptionValueSource("http") === "cli" || opts.detach === true || opts.cluster !== undefined)
      throw usageError(
        `--http, --detach and --cluster are about running a host: \`chipset start\` without a module runs one`,
      );
    return runControl(globals, ctx, ref, "start", opts);
  }
  if (globals.host !== undefined)
    throw usageError(
      "--host names a host to talk to; `chipset start` without a module runs a host here (to start a module there: `chipset --host URL start <ref>`)",
    );
  // `--token-file` is a global option (`chipset --host URL --token-file F ls` sends the same token).
  const api = hostOptions({ ...opts, tokenFile: globals.tokenFile }, ctx.cwd);
  if (opts.cluster === undefined && (opts.node !== undefined || opts.clusterName !== undefined))
    throw usageError("--node and --cluster-name go with --cluster nats://HOST:PORT");
  if (opts.cluster !== undefined) {
    const options: HostClusterOptions = {
      url: opts.cluster,
      ...(opts.node === undefined ? {} : { node: opts.node }),
      ...(opts.clusterName === undefined ? {} : { name: opts.clusterName }),
    };
    api.cluster = { options, settings: await clusterSettings(options, globals) };
  }
  if (opts.detach !== true) {
    if (opts.readyTimeout !== undefined) throw usageError("--ready-timeout goes with --detach");
    return runForeground(globals, ctx, api);
  }
  const { startDetached } = await import("./detach.js");
  await startDetached(globals, ctx, {
    http: opts.http,
    tokenFile: globals.tokenFile,
    ...(api.cluster === undefined ? {} : { cluster: api.cluster.options }),
    readyTimeoutMs: readyTimeout(opts.readyTimeout),
    // Unless asked, the log lines stay out of host.log, which is not rotated: they are in the log files.
    logLevel:
      cmd.optsWithGlobals<{ logLevel?: string }>().logLevel === undefined ? "silent" : globals.logLevel,
  });
}
