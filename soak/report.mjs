/** The soak's summary (what `--json` writes), and its rendering as text tables. */
import { CRASH_KINDS } from "./chaos.mjs";
import { HOSTS } from "./workspace.mjs";

/** Rows of cells as an aligned table: first column left, the others right. */
function table(header, rows) {
  const all = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(all[0]), widths.map((w) => "-".repeat(w)).join("  "), ...all.slice(1).map(line)].join("\n");
}

const ms = (value) => (Number.isFinite(value) ? (value >= 10 ? value.toFixed(0) : value.toFixed(2)) : "-");

function callsTable(calls) {
  const rows = Object.entries(calls).map(([label, c]) => [
    label,
    c.ok,
    Object.values(c.failed).reduce((a, b) => a + b, 0),
    c.hung,
    ms(c.okP50Ms),
    ms(c.okP99Ms),
    ms(c.failedP50Ms),
    ms(c.failedP99Ms),
  ]);
  return table(
    ["calls", "ok", "failed", "hung", "ok p50 ms", "ok p99 ms", "failed p50 ms", "failed p99 ms"],
    rows,
  );
}

function failuresTable(calls) {
  const labels = Object.keys(calls);
  const codes = [...new Set(labels.flatMap((l) => Object.keys(calls[l].failed)))].sort();
  return table(
    ["failed with", ...labels],
    codes.map((code) => [code, ...labels.map((l) => calls[l].failed[code] ?? 0)]),
  );
}

/** Crashes seen (`module.crashed`) over crashes set off, by kind and host; `-` where a host cannot have it. */
function crashTable(seen, struck) {
  const kinds = [...new Set(Object.values(CRASH_KINDS).flat())];
  const cell = (host, kind) =>
    CRASH_KINDS[host].includes(kind) ? `${seen[host]?.[kind] ?? 0}/${struck[host]?.[kind] ?? 0}` : "-";
  const total = (host) => Object.values(seen[host] ?? {}).reduce((a, b) => a + b, 0);
  return table(
    ["crashes seen/set off", ...HOSTS],
    [...kinds.map((kind) => [kind, ...HOSTS.map((h) => cell(h, kind))]), ["total seen", ...HOSTS.map(total)]],
  );
}

function checkLines(checks) {
  const width = Math.max(...checks.map((c) => c.name.length));
  return checks.map((c) => `${c.ok ? "PASS" : "FAIL"}  ${c.name.padEnd(width)}  ${c.detail}`);
}

/** The whole report. */
export function formatReport(s) {
  const { options: o, resources: r } = s;
  const errors = Object.entries(s.runtimeErrors).map(([context, n]) => `${context} x${n}`);
  return [
    `# Chipset soak: ${o.seconds} s, seed ${o.seed}, ${o.modules} modules, ${s.settings.rate} calls/s`,
    "",
    callsTable(s.calls),
    `calls answered by a fallback: ${s.fallbackAnswers}`,
    "",
    failuresTable(s.calls),
    "",
    crashTable(s.crashes, s.strikes),
    "",
    `restarts ${s.restarts}, fallback switches ${s.fallbacks}, gave up ${s.gaveUps}`,
    `runtime.error events: ${errors.length ? errors.join(", ") : "none"}`,
    `hosts seen: ${s.hosts.childProcesses} child processes, ${s.hosts.workerThreads} worker threads`,
    `heap ${r.heapBeforeMb.toFixed(1)} MB after warm-up, ${r.heapAfterMb.toFixed(1)} MB at the end; ` +
      `event-loop delay p99 ${ms(r.loopP99Ms)} ms, max ${ms(r.loopMaxMs)} ms`,
    "",
    ...checkLines(s.checks),
    "",
    s.ok
      ? "soak PASSED"
      : `soak FAILED: ${s.checks
          .filter((c) => !c.ok)
          .map((c) => c.name)
          .join(", ")}`,
  ].join("\n");
}

/** The summary of a run: plain data (JSON), from what soak.mjs gathered. */
export function summarize({ options, settings, calls, tally, chaos, fallbackAnswers, resources, checks }) {
  return {
    options: { seconds: options.seconds, seed: options.seed, modules: options.modules },
    settings,
    calls: Object.fromEntries([...calls.stats].map(([label, stats]) => [label, callSummary(stats)])),
    crashes: byHost(tally.crashes),
    strikes: byHost(chaos.strikes),
    restarts: tally.restarts,
    fallbacks: tally.fallbacks,
    fallbackAnswers,
    gaveUps: tally.gaveUps,
    runtimeErrors: Object.fromEntries(tally.runtimeErrors),
    hosts: { childProcesses: tally.childPids.size, workerThreads: tally.workerThreads.size },
    resources,
    checks,
    ok: checks.every((c) => c.ok),
  };
}

function callSummary(stats) {
  return {
    ok: stats.ok,
    failed: Object.fromEntries(stats.failed),
    hung: stats.hung,
    okP50Ms: stats.okLatency.percentile(50),
    okP99Ms: stats.okLatency.percentile(99),
    failedP50Ms: stats.failedLatency.percentile(50),
    failedP99Ms: stats.failedLatency.percentile(99),
  };
}

/** `{ "host kind": n }` as `{ host: { kind: n } }`. */
function byHost(counts) {
  const out = {};
  for (const [key, n] of counts) {
    const [host, kind] = key.split(" ");
    (out[host] ??= {})[kind] = n;
  }
  return out;
}
