/**
 * The browser side of bench/dashboard.mjs: what it measures inside the page, read through
 * playwright-core. Scripts are strings: bench code runs in Node, and what runs in the page should
 * not pass for Node code (as in test/dashboard/).
 */
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Installed before the page's own script: every long task (`longtask`, buffered: a task of the
 * main thread over 50 ms) and every gap between two `requestAnimationFrame` callbacks, each with
 * its `performance.now()` time, kept on `window.__chipsetBench` (the bench's, not the page's).
 */
export const INSTRUMENT = `(() => {
  const longTasks = [];
  const frames = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push([e.startTime, e.duration]);
  }).observe({ type: "longtask", buffered: true });
  let last = 0;
  const frame = (t) => {
    if (last !== 0) frames.push([t, t - last]);
    last = t;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  window.__chipsetBench = { longTasks, frames };
})()`;

/**
 * Evaluates `expression` in the page every `everyMs` until it is true or `timeoutMs` passed;
 * answers whether it became true. (Polled from here: playwright's `waitForFunction` polls a string
 * with `eval`, which the dashboard's CSP forbids.)
 */
export async function until(page, expression, { timeoutMs, everyMs = 50 }) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if ((await page.evaluate(expression)) === true) return true;
    if (performance.now() >= deadline) return false;
    await sleep(everyMs);
  }
}

/** The page's clock (`performance.now()`, ms). */
export function pageNow(page) {
  return page.evaluate("performance.now()");
}

/**
 * What happened in the page between `from` and `to` (its `performance.now()`): long tasks (count,
 * longest, total), frames drawn and the largest gap between two of them, and the p99 gap (ms).
 */
export async function windowFigures(page, from, to) {
  const { longTasks, frames } = await page.evaluate(
    `({ longTasks: window.__chipsetBench.longTasks, frames: window.__chipsetBench.frames })`,
  );
  const tasks = longTasks.filter(([t]) => t >= from && t <= to).map(([, d]) => d);
  const gaps = frames
    .filter(([t]) => t >= from && t <= to)
    .map(([, g]) => g)
    .sort((a, b) => a - b);
  return {
    seconds: (to - from) / 1000,
    longTasks: tasks.length,
    longestTaskMs: tasks.length > 0 ? Math.max(...tasks) : 0,
    longTaskMs: tasks.reduce((a, b) => a + b, 0),
    frames: gaps.length,
    maxFrameGapMs: gaps.at(-1) ?? NaN,
    p99FrameGapMs: gaps[Math.min(gaps.length - 1, Math.ceil(gaps.length * 0.99) - 1)] ?? NaN,
  };
}

/**
 * Chromium's own counters for the page (CDP `Performance.getMetrics`), in seconds of the main
 * thread: every task, script, layout, style. Differences of two readings are a window's work.
 */
export async function mainThreadMetrics(cdp) {
  const { metrics } = await cdp.send("Performance.getMetrics");
  const get = (name) => metrics.find((m) => m.name === name)?.value ?? NaN;
  return {
    task: get("TaskDuration"),
    script: get("ScriptDuration"),
    layout: get("LayoutDuration"),
    style: get("RecalcStyleDuration"),
  };
}

/** `b - a`, field by field, in ms. */
export function metricsDelta(a, b) {
  return Object.fromEntries(Object.keys(a).map((k) => [k, (b[k] - a[k]) * 1000]));
}

/**
 * A check (page script) that the module table lists `count` modules: its "N of M" line, since the
 * table draws only the rows in view.
 */
export function listedAll(count) {
  return `(document.querySelector("section.view .filters .count")?.textContent ?? "").trim() === "${count} of ${count}"`;
}

/** Shows the view `hash` (`#/events`) without a reload, and waits until it is drawn. */
export async function showView(page, hash, count) {
  await page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
  if (hash === "#/events") await page.waitForSelector("section.events .count");
  else await until(page, listedAll(count), { timeoutMs: 60_000 });
}

/** The Events view's "N received" (every event the page took from the stream); shows that view. */
export async function receivedCount(page) {
  await showView(page, "#/events");
  const text = await page.textContent("section.events .count");
  const n = /(\d+) received/.exec(text ?? "")?.[1];
  if (n === undefined) throw new Error(`the Events view shows no "N received": ${text}`);
  return Number(n);
}

/** Waits until the Events view's count is `want` (or `timeoutMs` passed); answers the count shown. */
export async function waitForReceived(page, want, timeoutMs) {
  await showView(page, "#/events");
  await until(
    page,
    `(/(\\d+) received/.exec(document.querySelector("section.events .count")?.textContent ?? "")?.[1] ?? -1) >= ${want}`,
    { timeoutMs },
  );
  return receivedCount(page);
}

/**
 * Waits until every row of the module table shows the state `want` gives its module, and still
 * does `holdMs` later (a table fetch under way may bring older states back); `timeoutMs` at most.
 * Answers the rows that differ at the end (0 when the table is right) and how often a right table
 * turned wrong again.
 */
export async function waitForStates(page, want, { timeoutMs, holdMs }) {
  // The table draws only the rows in view: the check scrolls through it, half a frame at a time,
  // as a reader would, reading each row once it is drawn (two animation frames after a scroll).
  const check = `(async () => {
    const want = ${JSON.stringify(want)};
    const wrap = document.querySelector("section.view .table-wrap.scroll");
    if (wrap === null) return Object.keys(want).length;
    const seen = {};
    const drawn = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    for (let top = 0; ; top += Math.max(1, wrap.clientHeight / 2)) {
      wrap.scrollTop = top;
      await drawn();
      for (const row of wrap.querySelectorAll("tr[data-module]")) seen[row.dataset.module] = row.dataset.state;
      if (top + wrap.clientHeight >= wrap.scrollHeight) break;
    }
    wrap.scrollTop = 0;
    await drawn();
    let wrong = 0;
    for (const [id, state] of Object.entries(want)) if (seen[id] !== state) wrong++;
    return wrong;
  })()`;
  const deadline = performance.now() + timeoutMs;
  let relapses = 0;
  let rightAt;
  for (;;) {
    const left = deadline - performance.now();
    if (left <= 0) break;
    const right = await until(page, `${check}.then((wrong) => wrong === 0)`, { timeoutMs: left });
    if (!right) break;
    rightAt ??= performance.now();
    await sleep(holdMs);
    if ((await page.evaluate(check)) === 0) break;
    relapses++;
    rightAt = undefined;
  }
  return { wrongRows: await page.evaluate(check), relapses, rightAt };
}
