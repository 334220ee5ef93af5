/** What the soak checks after the runtime is closed, and the OS probes behind the checks. */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { stat } from "node:fs/promises";

/** The `CHIP_ERR_*` codes in the first column of the table in docs/errors.md (cells may be padded). */
export function documentedCodes(file) {
  const text = readFileSync(file, "utf8");
  return new Set([...text.matchAll(/^\|\s*`(CHIP_ERR_[A-Z_]+)`\s*\|/gm)].map((m) => m[1]));
}

/** True where /proc tells threads and parents apart (Linux); elsewhere the OS checks are skipped. */
export const hasProc = existsSync("/proc/self/task");

/** The number of threads of this process. */
export function threadCount() {
  return readdirSync("/proc/self/task").length;
}

/** Every process on the machine, as `{ pid, ppid, pgrp }`, read from /proc. */
function processTable() {
  const table = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue; // it ended while we looked
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so read from the last ")".
    const [, ppid, pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    table.push({ pid: Number(name), ppid: Number(ppid), pgrp: Number(pgrp) });
  }
  return table;
}

/**
 * The pids of every process this one started, whatever started them (the warm pool's blank
 * hosts too) and however deep: children, their children, and so on. Also those in the process
 * group of any pid in `groupLeaders` (each process host leads one): a module's grandchild whose
 * parent died was adopted by init and left the tree, but it keeps its group.
 */
export function descendantProcesses(groupLeaders = new Set()) {
  const table = processTable();
  const children = new Map();
  for (const p of table) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid).push(p.pid);
  }
  const found = new Set();
  const queue = [process.pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.pop()) ?? []) {
      if (found.has(child)) continue;
      found.add(child);
      queue.push(child);
    }
  }
  for (const p of table) if (groupLeaders.has(p.pgrp) && p.pid !== process.pid) found.add(p.pid);
  return [...found];
}

/** True while `pid` exists (a zombie, ended but not reaped, still does). */
export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

/**
 * Calls `probe` every 20 ms until `done(result)` or `timeoutMs` passed; returns the last result.
 * Threads and processes end a little after the runtime lets go of them: poll, do not guess a delay.
 */
export async function poll(probe, done, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const result = probe();
    if (done(result) || performance.now() >= deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** libuv starts its whole thread pool on first use; start it now so it is not counted as left over. */
export async function warmThreadPool() {
  await stat(".");
}

/** Heap in use after full collections, in bytes (needs --expose-gc). */
export async function collectedHeap() {
  // Several rounds with a turn of the loop between: finalizers and weak callbacks free more.
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

/** One check: its name, whether it held, and what was measured. */
const check = (name, ok, detail) => ({ name, ok, detail });

/**
 * The verdicts, from what was measured (`m`): see soak.mjs for where each number comes from.
 * @returns `[{ name, ok, detail }]`
 */
export function judge(m) {
  const stats = [...m.calls.stats.values()];
  const codes = new Set(stats.flatMap((st) => [...st.failed.keys()]));
  const undocumented = [...codes].filter((code) => !m.documented.has(code));
  const internal = stats.reduce((n, st) => n + (st.failed.get("CHIP_ERR_INTERNAL") ?? 0), 0);
  const hung = stats.reduce((n, st) => n + st.hung, 0);
  const work = m.calls.statsOf("work");
  const okShare = work.ok / Math.max(1, work.ok + work.failures + work.hung);
  const growthMb = m.heapGrowthBytes / 2 ** 20;
  return [
    check("runtime closed", m.closed, m.closed ? `in ${m.closeMs.toFixed(0)} ms` : m.closeError),
    check(
      "runtime responsive",
      m.loopMaxMs < m.maxStallMs,
      `longest event-loop stall ${m.loopMaxMs.toFixed(0)} ms (limit ${m.maxStallMs} ms)`,
    ),
    check(
      "every module serves again",
      m.down.length === 0,
      m.down.length === 0
        ? `all, ${m.recoveryMs.toFixed(0)} ms after the chaos stopped`
        : `still down after ${m.recoveryMs.toFixed(0)} ms: ` +
            m.down.map((d) => `${d.id} (${d.state}, ${d.last})`).join(", "),
    ),
    check("no hung call", hung === 0, `${hung} unsettled ${m.graceMs} ms after their signal fired`),
    check(
      "every failure code documented",
      undocumented.length === 0,
      undocumented.length ? `not in docs/errors.md: ${undocumented.join(", ")}` : `${codes.size} codes seen`,
    ),
    check("no internal error", internal === 0, `${internal} CHIP_ERR_INTERNAL`),
    // Chaos takes modules down often; most calls must still be answered, or the runtime is not
    // recovering (and all the other checks could hold with nothing working).
    check(
      "most load calls answered",
      okShare >= m.minOkShare,
      `${(okShare * 100).toFixed(1)}% ok (at least ${m.minOkShare * 100}%)`,
    ),
    check(
      "heap growth bounded",
      growthMb < m.heapGrowthLimitMb,
      `${growthMb.toFixed(1)} MB since warm-up (limit ${m.heapGrowthLimitMb} MB)`,
    ),
    ...(m.os
      ? [
          check(
            "no child process left",
            m.os.pidsLeft.length === 0 && m.os.childrenLeft.length === 0,
            m.os.pidsLeft.length + m.os.childrenLeft.length === 0
              ? `${m.os.pidsSeen} seen, none left`
              : `alive: ${[...new Set([...m.os.pidsLeft, ...m.os.childrenLeft])].join(", ")}`,
          ),
          check(
            "no worker thread left",
            m.os.threadsAfter <= m.os.threadsBefore,
            `${m.os.threadsAfter} threads, ${m.os.threadsBefore} before the runtime`,
          ),
        ]
      : [check("OS checks", true, "skipped: no /proc")]),
  ];
}
