#!/usr/bin/env node
// The Chipset demo host: a small media application made of the modules in ./modules.
// It registers them, starts the eager (core) ones, then runs a short scripted session in which
// the lazy ones come up on demand, and stays running until Ctrl-C (or exits at once with --once).
//
//   npm start                                   build, then run this file
//   node examples/host.mjs --once               run the session, shut down, exit
//   node examples/host.mjs --http 127.0.0.1:0   serve the host's HTTP API on a free port (default 127.0.0.1:7411)
//   node examples/host.mjs --data-dir /tmp/x    keep the registry and cache somewhere else
//   node examples/host.mjs --log-level warn     fewer of the modules' own log lines (stderr); info by default
//   node examples/host.mjs --log-format json    those lines as pino's JSON, as a log collector wants them
import { readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { clearInterval, setInterval } from "node:timers";
import { parseArgs } from "node:util";
import { createRuntime } from "chipset";
import { chaosOf } from "chipset/chaos";
import { serveHost } from "chipset/server";
import { pino } from "pino";

const here = import.meta.dirname;
const repoRoot = resolve(here, "..");
const configFile = join(here, "chipset.config.json");

const usage =
  "usage: node examples/host.mjs [--once] [--http HOST:PORT] [--data-dir DIR] [--log-level fatal|error|warn|info|debug|trace|silent] [--log-format text|json]";
let flags;
try {
  ({ values: flags } = parseArgs({
    options: {
      once: { type: "boolean", default: false },
      http: { type: "string", default: "127.0.0.1:7411" },
      "data-dir": { type: "string" },
      "log-level": { type: "string", default: "info" },
      "log-format": { type: "string", default: "text" },
      verbose: { type: "boolean", default: false }, // the same as --log-level debug
      help: { type: "boolean", short: "h", default: false },
    },
  }));
} catch (err) {
  // An unknown option or a missing value: say which, and how to call it.
  console.error(`${err.message}\n${usage}`);
  process.exit(2);
}
if (flags.help) {
  console.log(usage);
  process.exit(0);
}
const logLevel = flags.verbose ? "debug" : flags["log-level"];
if (!pino.levels.values[logLevel] && logLevel !== "silent") {
  console.error(`--log-level ${logLevel} is not a level\n${usage}`);
  process.exit(2);
}
if (!["text", "json"].includes(flags["log-format"])) {
  console.error(`--log-format ${flags["log-format"]} is neither text nor json\n${usage}`);
  process.exit(2);
}
const listen = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(flags.http);
if (!listen || Number(listen[3]) > 65535) {
  console.error(`--http ${flags.http} is not HOST:PORT (127.0.0.1:0 picks a free port)\n${usage}`);
  process.exit(2);
}
const dataDir = flags["data-dir"] ? resolve(flags["data-dir"]) : join(repoRoot, ".chipset-demo");

// ---- presentation -----------------------------------------------------------------------

const colour = process.stdout.isTTY === true && !process.env.NO_COLOR;
const paint = (open, close) => (text) =>
  colour && text !== "" ? `\x1b[${open}m${text}\x1b[${close}m` : String(text);
const bold = paint(1, 22);
const dim = paint(2, 22);
const green = paint(32, 39);
const red = paint(31, 39);
const yellow = paint(33, 39);
const cyan = paint(36, 39);

const out = (line = "") => console.log(line.trimEnd());
const heading = (text) => out(`\n${bold(text)}`);
const where = (p) => {
  const rel = relative(process.cwd(), p);
  return rel === "" ? "." : rel.startsWith("..") ? p : rel;
};

/** A duration in ms, to one decimal (or seconds past 1 s). */
function ms(n) {
  if (n === undefined) return "–";
  if (n >= 1000) return `${(n / 1000).toFixed(n % 1000 === 0 ? 0 : 2)} s`;
  return `${n.toFixed(1)} ms`;
}

/** Pads plain text to `width`, then colours it (so ANSI codes never break alignment). */
function cell(text, width, style = (s) => s, align = "left") {
  const plain = String(text);
  const pad = " ".repeat(Math.max(0, width - plain.length));
  return align === "right" ? pad + style(plain) : style(plain) + pad;
}

/** Where a module runs: "inline", "worker (thread 3)", "process (pid 1234)". */
function hostOf(info) {
  const host = info.instance?.host;
  if (!host) return info.isolation;
  if (host.isolation === "worker") return `worker (thread ${host.threadId})`;
  if (host.isolation === "process") return `process (pid ${host.pid})`;
  return "inline";
}

function activationOf(activation) {
  return typeof activation === "object" ? `on ${activation.onEvent.join(", ")}` : activation;
}

/** Wall-clock time of day, for lines printed while the host waits. */
function clock() {
  return new Date().toTimeString().slice(0, 8);
}

function bytes(n) {
  return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KB`;
}

/**
 * Chipset logs through pino, one JSON line per record: the runtime's warnings, the modules'
 * `ctx.log` and the console output of worker and process modules (tagged `stream`). The demo
 * shows each as a dim line on stderr naming the module: `  · codec@1.3.0 codec ready backend=gpu`.
 */
const levelNames = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };
const shownApart = new Set(["level", "time", "pid", "hostname", "msg", "module", "stream", "err"]);
const logLines = {
  write(line) {
    const record = JSON.parse(line);
    const { level, msg = "", module = "chipset", stream, err } = record;
    const name = levelNames[level] ?? String(level);
    const tag = level >= 50 ? `${red(name)} ` : level >= 40 ? `${yellow(name)} ` : "";
    const source = stream === undefined ? module : `${module} ${stream}`;
    const said = msg.startsWith(`${module}: `) ? msg.slice(module.length + 2) : msg; // the runtime's own say whose
    const extra = Object.entries(record)
      .filter(([k]) => !shownApart.has(k))
      .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join(" ");
    process.stderr.write(
      `${dim(`  · ${source} `)} ${tag}${said}${err ? ` (${err.message})` : ""}${extra ? dim(`  ${extra}`) : ""}\n`,
    );
  },
};

/** Prints a failed call: its stable code, then the message. */
function showError(err) {
  const cause =
    err.cause instanceof Error && !err.message.includes(err.cause.message)
      ? dim(` (cause: ${err.cause.message})`)
      : "";
  out(`     ${red("✗")} ${red(err.code ?? err.name)}  ${err.message}${cause}`);
}

// ---- the runtime ------------------------------------------------------------------------

// chipset does not resolve relative paths inside per-module config: resolve file-io's volumes
// against the config file's directory here, and add a writable cache volume in the data dir.
const fileConfig = JSON.parse(readFileSync(configFile, "utf8"));
const fileIo = fileConfig.modules["file-io"];
const volumes = Object.fromEntries(
  Object.entries(fileIo.volumes).map(([name, p]) => [name, resolve(here, p)]),
);
volumes.cache = join(dataDir, "cache");

const runtime = createRuntime({
  dataDir,
  configFile,
  config: { "file-io": { ...fileIo, volumes } },
  // pino's JSON lines on stderr as they are, or the lines above.
  ...(flags["log-format"] === "json" ? { logLevel } : { logger: pino({ level: logLevel }, logLines) }),
});

// Every phase of every module, as it happens. `trail` collects them for the step being shown.
const t0 = performance.now();
let trail = null;
const startOrder = [];
const stopOrder = [];
const failures = [];
runtime.on("module.state", (e) => trail?.push({ ...e, at: performance.now() }));
runtime.on("module.started", (e) => startOrder.push(e.id));
runtime.on("module.stopped", (e) => stopOrder.push(e));
runtime.on("module.failed", (e) => failures.push(e));

/** Runs `fn`, returning its result (or error), how long it took and the phases it caused. */
async function watch(fn) {
  const events = (trail = []);
  const started = performance.now();
  try {
    const value = await fn();
    return { value, events, tookMs: performance.now() - started, started };
  } catch (error) {
    return { error, events, tookMs: performance.now() - started, started };
  } finally {
    trail = null;
  }
}

/** One line per module that changed state in `events`: its phases and when it was running. */
function showPhases(events, started, label) {
  const byModule = new Map();
  for (const e of events) {
    if (!byModule.has(e.id)) byModule.set(e.id, { version: e.version, phases: {}, runningAt: undefined });
    const m = byModule.get(e.id);
    m.phases[e.command] = e.durationMs;
    if (e.to === "running") m.runningAt = e.at - started;
  }
  let first = true;
  for (const [id, m] of byModule) {
    const phases = ["load", "init", "start"]
      .map((c) => `${c} ${cell(ms(m.phases[c]), 7, dim, "right")}`)
      .join("  ");
    const when = m.runningAt === undefined ? "" : `  ${green("running")} ${dim(`at +${ms(m.runningAt)}`)}`;
    out(
      `     ${cell(first ? label : "", 11, dim)} ${cell(id, 13, cyan)} ${cell(m.version, 6, dim)}  ${phases}${when}`,
    );
    first = false;
  }
  return byModule;
}

function step(n, title, what) {
  out(`\n  ${bold(`${n}`)}  ${cell(title, 18, bold)} ${dim(what)}`);
}

// ---- 1. what is registered ----------------------------------------------------------------

const modules = runtime.queries.list();
const byId = new Map(modules.map((m) => [m.id, m]));
const scan = runtime.lastScan;
const status = new Map();
for (const kind of ["added", "replaced", "unchanged"]) for (const r of scan[kind]) status.set(r.id, kind);

out(bold("Chipset demo") + dim(` · a media application of ${modules.length} modules`));
out(dim(`  modules ${where(join(here, "modules"))} · config ${where(configFile)} · data ${where(dataDir)}`));

heading("Registry");
const mark = { added: green("+"), replaced: yellow("~"), unchanged: dim("=") };
for (const m of modules) {
  const deps = runtime.queries
    .dependencies(m.id)
    .map((d) => `${d.id} ${d.range}${d.optional ? " (optional)" : ""}`)
    .join(", ");
  out(
    `  ${mark[status.get(m.id)] ?? " "} ${cell(m.id, 13, cyan)} ${cell(m.version, 6)}  ${cell(m.kind, 12, dim)} ${cell(activationOf(m.activation), 18)} ${dim(deps ? `needs ${deps}` : "")}`,
  );
}
const counts = ["added", "replaced", "unchanged"]
  .filter((k) => scan[k].length > 0)
  .map((k) => `${scan[k].length} ${k === "added" ? "new" : k}`);
out(dim(`  ${counts.join(" · ")}${counts.length > 0 ? " · " : ""}${scan.rejected.length} rejected`));
for (const { dir, error } of scan.rejected)
  out(`  ${red("✗")} ${where(dir)}: ${red(error.code)} ${error.message}`);

// ---- 2. load order -------------------------------------------------------------------------

heading("Load order");
out(dim("  dependencies first; each level loads in parallel; * starts with the runtime"));
const order = runtime.queries.order(modules.map((m) => m.id));
order.levels.forEach((level, i) => {
  const names = level.map((id) => (byId.get(id)?.activation === "eager" ? bold(`${id}*`) : id));
  out(`  ${dim(`level ${i + 1}`)}  ${names.join("  ")}`);
});

// ---- 3. start -----------------------------------------------------------------------------

heading("Start");
const boot = await watch(() => runtime.start());
if (boot.error) {
  showError(boot.error);
  for (const o of boot.error.details?.outcomes ?? [])
    out(`     ${o.ok ? green("✓") : red("✗")} ${o.id} ${o.code ?? ""}`);
  await runtime.close();
  process.exit(1);
}
showPhases(boot.events, boot.started, "eager");
out(`     ${dim("ready in")} ${bold(ms(boot.tookMs))}`);
const lazy = runtime.queries
  .list()
  .filter((m) => m.state === "registered")
  .map((m) => m.id);
out(`     ${cell("still lazy", 11, dim)} ${lazy.join(", ")} ${dim("(not loaded)")}`);

// ---- 4. a session -------------------------------------------------------------------------

heading("Session");
const video = runtime.use("video-player");
const viewer = runtime.use("image-viewer");
const settings = runtime.use("settings");
const bus = runtime.use("event-bus");

step(1, "Play a video", 'video-player.open("media/clip.cvf"), then play()');
const running = (id) => runtime.queries.list().find((m) => m.id === id)?.state === "running";
const needs = runtime.queries
  .dependencies("video-player")
  .map((d) => `${d.id} ${running(d.id) ? green("✓") : dim("○")}`);
out(`     ${cell("needs", 11, dim)} ${needs.join("  ")}  ${dim("(✓ running, ○ not loaded yet)")}`);
const opened = await watch(() => video.open("media/clip.cvf"));
showPhases(opened.events, opened.started, "on demand");
if (opened.error) showError(opened.error);
else {
  const v = opened.value;
  out(
    `     ${cell("opened", 11, dim)} "${v.title}" · ${v.width}×${v.height} · ${v.fps} fps · ${v.frames} frames (${ms(v.durationMs)}) · ${bytes(v.sizeBytes)} · buffer ${v.bufferFrames} frames`,
  );
  out(
    `     ${cell("", 11)} ${green("first result")} ${bold(ms(opened.tookMs))} after the call, dependencies included`,
  );
  const played = await watch(() => video.play());
  if (played.error) showError(played.error);
  else {
    const p = played.value;
    out(
      `     ${cell("played", 11, dim)} ${p.frames} frames decoded by ${p.backend} in ${ms(played.tookMs)} · checksum ${p.checksum.toString(16).padStart(8, "0")} · mean luma ${p.meanLuma} · volume ${p.volume}`,
    );
  }
}

step(2, "Show an image", 'image-viewer.show("media/sunset.png")');
const shown = await watch(() => viewer.show("media/sunset.png"));
showPhases(shown.events, shown.started, "on demand");
if (shown.error) showError(shown.error);
else {
  const i = shown.value;
  out(
    `     ${cell("image", 11, dim)} ${i.width}×${i.height} ${i.colorType}, ${i.bitDepth}-bit · ${bytes(i.sizeBytes)} · chunks ${i.chunks.join(" ")} (CRCs ok) · ${ms(shown.tookMs)}`,
  );
}

step(3, "Import media", 'publish 2 × media.imported, then runtime.activate("media.imported")');
for (const path of ["media/sunset.png", "media/icon.png"]) await bus.publish("media.imported", { path });
const activated = await watch(() => runtime.activate("media.imported"));
showPhases(activated.events, activated.started, "on event");
if (activated.error) showError(activated.error);
for (const o of activated.value ?? []) if (!o.ok) showError(o.error);
if (activated.value?.some((o) => o.id === "thumbnailer" && o.ok)) {
  const thumbs = await runtime.use("thumbnailer").list();
  for (const t of thumbs)
    out(
      `     ${cell("thumbnail", 11, dim)} ${t.source} → ${t.output} ${dim(`(${t.width}×${t.height}, ${bytes(t.bytes)}, in ${where(volumes.cache)})`)}`,
    );
}

step(4, "Pause and resume", 'runtime.pause("video-player"); a call made while paused waits');
const paused = await watch(() => runtime.pause("video-player"));
out(
  `     ${cell("paused", 11, dim)} video-player in ${ms(paused.events.find((e) => e.command === "pause")?.durationMs)}`,
);
const askedAt = performance.now();
let answeredAt;
const held = video.status();
held.then(
  () => (answeredAt = performance.now()),
  () => (answeredAt = performance.now()),
);
const meanwhile = await settings.set("volume", 40);
await new Promise((resolve) => setImmediate(resolve));
out(
  `     ${cell("called", 11, dim)} video-player.status() → ${answeredAt === undefined ? yellow("held") : red("answered while paused!")} ${dim("(the call waits at the gate)")}`,
);
out(
  `     ${cell("meanwhile", 11, dim)} settings.set("volume", 40) answered at once: volume ${meanwhile.from} → ${meanwhile.to} ${dim("(other modules keep serving)")}`,
);
const resumed = await watch(() => runtime.resume("video-player"));
const heldStatus = await held.catch((err) => err);
out(
  `     ${cell("resumed", 11, dim)} video-player in ${ms(resumed.events.find((e) => e.command === "resume")?.durationMs)}`,
);
if (heldStatus instanceof Error) showError(heldStatus);
else
  out(
    `     ${cell("answered", 11, dim)} status() after waiting ${bold(ms(answeredAt - askedAt))}: ${heldStatus.state}, frame ${heldStatus.position}/${heldStatus.frames}`,
  );

step(5, "Mistakes, handled", 'video-player.rewind(); settings.set("volume", 400)');
for (const attempt of [() => video.rewind(), () => settings.set("volume", 400)]) {
  try {
    await attempt();
    out(`     ${red("expected an error, got none")}`);
  } catch (err) {
    showError(err);
  }
}

step(6, "A driver crash", "video-player plays media/damaged.cvf: gpu-accel (a process) hits a bug");
// Supervision as it happens: crash, fallback, backoff, restart.
const supervision = [];
const since = performance.now();
const note = (text) => supervision.push(`     ${cell(`+${ms(performance.now() - since)}`, 11, dim)} ${text}`);
const gpuPid = () => runtime.queries.info("gpu-accel").instance?.host.pid;
const pidBefore = gpuPid();
const restartedOnce = new Promise((resolve) => {
  runtime.on("module.crashed", (e) =>
    note(`${red("crashed")} ${e.id} (${e.kind}): ${e.error.cause?.message ?? e.error.message}`),
  );
  runtime.on("module.fallback", (e) =>
    note(
      e.active
        ? `${yellow("fallback")} calls to ${e.id} now go to ${e.fallback}`
        : `${green("fallback off")} calls go to ${e.id} again`,
    ),
  );
  runtime.on("module.restarting", (e) =>
    note(`restarting ${e.id} in ${ms(e.delayMs)} ${dim(`(attempt ${e.attempt}, backoff)`)}`),
  );
  runtime.on("module.restarted", (e) => {
    note(
      `${green("restarted")} ${e.id} after ${ms(e.downtimeMs)} down ${dim(`(pid ${pidBefore} → ${gpuPid()})`)}`,
    );
    resolve();
  });
});
const damaged = await watch(async () => {
  await video.open("media/damaged.cvf");
  return video.play();
});
for (const line of supervision.splice(0)) out(line);
const soft = runtime.use("soft-decoder");
const decodedBySoft = async () => (await soft.device()).framesDecoded;
// The frame in flight when gpu-accel crashed is answered by its fallback too: the clip plays through.
const softAfterCrash = damaged.error ? 0 : await decodedBySoft();
if (damaged.error) showError(damaged.error);
else
  out(
    `     ${cell("played", 11, dim)} ${damaged.value.frames} frames of damaged.cvf: ${damaged.value.frames - softAfterCrash} on gpu-accel, then ${softAfterCrash} by soft-decoder from the frame that crashed it on ${dim("(no call failed)")}`,
  );
const again = await watch(() => video.play());
for (const line of supervision.splice(0)) out(line);
if (again.error) showError(again.error);
else
  out(
    `     ${cell("played", 11, dim)} ${again.value.frames} frames while gpu-accel was down: ${(await decodedBySoft()) - softAfterCrash} decoded by soft-decoder ${dim("(its fallback)")}`,
  );
await restartedOnce;
for (const line of supervision.splice(0)) out(line);
const third = await watch(() => video.open("media/clip.cvf").then(() => video.play()));
if (third.error) showError(third.error);
else {
  const gpu = await runtime.use("gpu-accel").device();
  out(
    `     ${cell("played", 11, dim)} ${third.value.frames} frames of clip.cvf on gpu-accel again (pid ${gpuPid()}, ${gpu.framesDecoded} frames since its restart) · the other modules never stopped`,
  );
}

step(
  7,
  "A slow dependency",
  "codec.probe gets 2 s slower; its policy: 500 ms timeout, breaker after 2 failures",
);
// Policies can be set at run time over the manifest's `calls`; chaos injects the fault on purpose.
// The timeout leaves a loaded machine room for the healthy probe (a 1 ms call once took 145 ms
// there); the slowdown still outlasts it four times over.
runtime.policies.set("codec", {
  methods: { probe: { timeoutMs: 500, breaker: { consecutiveFailures: 2, failureRate: 0, openMs: 200 } } },
});
const breakerLog = [];
const breakerEvents = [
  runtime.on("breaker.opened", (e) =>
    breakerLog.push(`${red("breaker open")} ${e.id}.${e.method} after ${e.failures} failures in a row`),
  ),
  runtime.on("breaker.closed", (e) =>
    breakerLog.push(`${green("breaker closed")} ${e.id}.${e.method}: its probe succeeded`),
  ),
];
const codec = runtime.use("codec");
const probe = async (label) => {
  const began = performance.now();
  const outcome = await runtime.callDetailed("codec", "probe", ["media/clip.cvf"]);
  const took = ms(performance.now() - began);
  out(`     ${cell(label, 11, dim)} ${outcome.ok ? green("answered") : red(outcome.error.code)} in ${took}`);
  for (const line of breakerLog.splice(0)) out(`     ${cell("", 11)} ${line}`);
};
const chaos = chaosOf(runtime);
chaos.enable(7);
const slowdown = chaos.inject({
  kind: "latency",
  latencyMs: 2000,
  target: { module: "codec", method: "probe" },
});
for (const n of [1, 2, 3]) await probe(`probe ${n}`);
slowdown.dispose();
out(`     ${cell("", 11)} ${dim("the slowdown ends; the breaker lets a probe through after 200 ms")}`);
await new Promise((resolve) => setTimeout(resolve, 250));
await probe("probe 4");
await codec.probe("media/clip.cvf");
chaos.disable();
runtime.policies.reset("codec");
for (const d of breakerEvents) d.dispose();
const errorCounts = runtime.errors.counts();
out(
  `     ${cell("errors", 11, dim)} ${errorCounts.total} recorded: ${Object.entries(errorCounts.byCode)
    .map(([code, n]) => `${code} ${n}`)
    .join(", ")} ${dim("(chipset errors shows them with their context)")}`,
);

// ---- 5. the state of things ------------------------------------------------------------------

heading("Modules");
const columns = [
  ["module", 13],
  ["version", 7],
  ["kind", 11],
  ["activation", 18],
  ["state", 10],
  ["host", 20],
  ["load", 8, "right"],
  ["init", 8, "right"],
  ["start", 8, "right"],
  ["calls", 5, "right"],
];
out(dim(`  ${columns.map(([name, width, align]) => cell(name, width, undefined, align)).join("  ")}`));
for (const m of runtime.queries.list()) {
  const info = runtime.queries.info(`${m.id}@${m.version}`);
  const t = info.instance?.timingsMs ?? {};
  const stateStyle = m.state === "running" ? green : m.state === "failed" ? red : dim;
  const values = [
    [m.id, cyan],
    [m.version],
    [m.kind, dim],
    [activationOf(m.activation)],
    [m.state, stateStyle],
    [hostOf(info), dim],
    [ms(t.load)],
    [ms(t.init)],
    [ms(t.start)],
    [info.instance ? info.instance.calls : "–"],
  ];
  out(`  ${values.map(([v, style], i) => cell(v, columns[i][1], style, columns[i][2])).join("  ")}`);
}
const neverLoaded = runtime.queries
  .list()
  .filter((m) => m.state === "registered")
  .map((m) => m.id);
out(`\n  ${cell("start order", 13, dim)} ${startOrder.join(" → ")}`);
out(
  `  ${cell("never loaded", 13, dim)} ${neverLoaded.length > 0 ? neverLoaded.join(", ") : "none"} ${dim("(lazy and not needed)")}`,
);
out(
  `  ${cell("uptime", 13, dim)} ${ms(performance.now() - t0)} ${dim(`· eager start ${ms(boot.tookMs)} · first video result ${ms(opened.tookMs)}`)}`,
);
if (failures.length > 0)
  for (const f of failures) out(`  ${red("failed")} ${f.id} ${f.command}: ${f.error.code}`);

// ---- 6. run until asked to stop, then shut down ------------------------------------------------

if (!flags.once) {
  // Idle work goes on while we wait: show it as it happens.
  runtime.on(
    "module.loaded",
    (e) => e.preload && out(dim(`  · ${clock()} preloaded ${e.id} in idle time (${ms(e.durationMs)})`)),
  );
  runtime.on("module.unloaded", (e) => {
    if (e.reason !== "idle") return;
    const limit = runtime.queries.info(e.id).manifest.idleUnloadMs;
    out(dim(`  · ${clock()} unloaded ${e.id}: no calls for ${limit === undefined ? "a while" : ms(limit)}`));
  });
  // So do crashes and restarts (gpu-accel's process killed from outside, say).
  runtime.on("module.crashed", (e) =>
    out(
      `  ${red("·")} ${dim(clock())} ${red("crashed")} ${e.id} (${e.kind}): ${e.error.cause?.message ?? e.error.message}`,
    ),
  );
  runtime.on("module.restarting", (e) =>
    out(dim(`  · ${clock()} restarting ${e.id} in ${ms(e.delayMs)} (attempt ${e.attempt}, backoff)`)),
  );
  runtime.on("module.restarted", (e) =>
    out(dim(`  · ${clock()} restarted ${e.id} after ${ms(e.downtimeMs)} down`)),
  );
  // The handlers go in before the prompt, so a Ctrl-C right after it is never missed.
  const stopRequested = new Promise((resolve) => {
    const keepAlive = setInterval(() => {}, 1 << 30);
    const onSignal = (signal) => {
      clearInterval(keepAlive);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      // A second Ctrl-C while shutting down leaves at once.
      process.once("SIGINT", () => process.exit(130));
      out(dim(`\n  ${signal} received`));
      resolve();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  // The running host is reachable from another terminal: its HTTP API, named in <data-dir>/host.json,
  // is what `chipset ls`, `chipset call` and the rest talk to when they find it.
  let api;
  try {
    api = await serveHost(runtime, { host: listen[1] ?? listen[2], port: Number(listen[3]) });
  } catch (err) {
    showError(err);
    out(dim("  the modules keep running without the HTTP API; try --http 127.0.0.1:0 for a free port"));
  }
  if (api) {
    const cli = where(join(repoRoot, "dist", "cli", "main.js"));
    out(
      `\n  ${cell("HTTP API", 13, dim)} ${cyan(api.url)} ${dim(`(OpenAPI at /openapi.json, token in ${where(join(dataDir, "host.json"))})`)}`,
    );
    out(
      `  ${cell("dashboard", 13, dim)} ${cyan(`${api.url}/`)} ${dim("(open it signed in: node " + cli + " --data-dir " + where(dataDir) + " dashboard)")}`,
    );
    out(
      `  ${cell("try", 13, dim)} node ${cli} --data-dir ${where(dataDir)} ls ${dim("(from another terminal)")}`,
    );
    out(
      `  ${cell("", 13, dim)} node ${cli} --data-dir ${where(dataDir)} top ${dim("(CPU, memory, disk and network of every module, live)")}`,
    );
  }
  out(`\n${bold("Running.")} Press Ctrl-C to stop.`);
  await stopRequested;
  await api?.close();
}

heading("Shutdown");
out(dim("  dependents first, reverse load order"));
stopOrder.length = 0; // only what shutdown stops (idle unloads stopped some modules earlier)
const closing = await watch(() => runtime.close());
const report = closing.value ?? { stopped: [], failed: [], down: [] };
stopOrder.forEach((e, i) =>
  out(
    `  ${dim(String(i + 1).padStart(2))}  ${cell(e.id, 13, cyan)} ${cell("stopped", 8, green)} ${cell(ms(e.durationMs), 7, dim, "right")}`,
  ),
);
// A module that was down when shutdown reached it (crashed, restarting, given up on) had nothing to stop.
const downAs = {
  crashed: "had crashed; its restart is cancelled",
  restarting: "was being restarted after a crash; the restart is abandoned",
  failed: "had failed earlier",
};
for (const { id, status, error } of report.down)
  out(
    `   ${yellow("·")}  ${cell(id, 13, cyan)} ${cell("down", 8, yellow)} ${downAs[status]}${error ? dim(` (${error.code})`) : ""}`,
  );
for (const { id, error } of report.failed) out(`  ${red("✗")} ${id}: ${error.code} ${error.message}`);
if (closing.error) showError(closing.error);
out(`\n  ${cell("stop order", 13, dim)} ${stopOrder.map((e) => e.id).join(" → ")}`);
const downNote =
  report.down.length > 0
    ? `, ${report.down.length} ${report.down.length === 1 ? "was" : "were"} down already`
    : "";
out(
  `  ${stopOrder.length} modules stopped in ${ms(closing.tookMs)}${downNote}. ${report.failed.length === 0 && !closing.error ? "Bye." : red("Some modules did not stop cleanly.")}`,
);
process.exitCode = report.failed.length === 0 && !closing.error ? 0 : 1;
