#!/usr/bin/env node
// Takes the README's screenshots of the dashboard (docs/images/dashboard-*.png): a host runs the
// examples (`chipset start`), serves some calls for a minute so the charts have a line, and
// Debian's Chromium (or CHIPSET_CHROMIUM) shoots each view at 1280x800, and the table at 420 wide.
// Run by hand after a change to the page: `npm run screenshots` (it builds first).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = join(root, "docs", "images");
const data = mkdtempSync(join(tmpdir(), "chipset-shots-"));
const seconds = Number(process.env.SHOTS_SECONDS ?? 60);

const host = spawn(
  process.execPath,
  [
    join(root, "dist/cli/main.js"),
    "--data-dir",
    data,
    "--config",
    join(root, "examples/chipset.config.json"),
    "start",
    "--http",
    "127.0.0.1:0",
  ],
  { stdio: ["ignore", "pipe", "inherit"] },
);
await new Promise((resolve, reject) => {
  host.stdout.on("data", (chunk) => String(chunk).includes("HTTP API at") && resolve());
  host.on("exit", (code) => reject(new Error(`the host exited (${code}) before it served`)));
});
const { url, token } = JSON.parse(readFileSync(join(data, "host.json"), "utf8"));
const api = (path, body) =>
  fetch(url + path, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).then((r) => r.json());

try {
  for (const id of ["codec", "gpu-accel", "video-player", "subtitles"])
    await api(`/v1/modules/${id}/start`, {});
  // Calls for the charts and the calls/s column, paced, until the last screenshot is taken.
  let calling = true;
  const calls = (async () => {
    while (calling) {
      await Promise.all([
        api("/v1/modules/settings/calls/get", { args: ["theme"] }),
        api("/v1/modules/event-bus/calls/publish", { args: ["demo", { at: Date.now() }] }),
        api("/v1/modules/codec/calls/backend", { args: [] }),
      ]);
      await sleep(20);
    }
  })();
  await sleep(seconds * 1000);
  const browser = await chromium.launch({
    executablePath: process.env.CHIPSET_CHROMIUM ?? "/usr/bin/chromium",
    chromiumSandbox: false,
  });
  const shoot = async (viewport, hash, file, ready) => {
    const page = await browser.newPage({ viewport, colorScheme: "light" });
    await page.goto(`${url}/#token=${token}`);
    await page.waitForSelector("tr[data-module]");
    await page.goto(`${url}/#/${hash}`);
    await page.waitForSelector(ready);
    await sleep(1500); // the charts' and the table's next refresh
    await page.screenshot({ path: join(out, file) });
    await page.close();
    console.log(`wrote docs/images/${file}`);
  };
  const wide = { width: 1280, height: 800 };
  await shoot(wide, "modules", "dashboard-modules.png", "tr[data-module=codec][data-state=running]");
  await shoot(wide, "graph", "dashboard-graph.png", "g.node");
  await shoot(wide, "module/codec", "dashboard-module.png", "figure.chart canvas");
  await shoot(wide, "events", "dashboard-events.png", "table.eventlog");
  await shoot({ width: 420, height: 800 }, "modules", "dashboard-narrow.png", "tr[data-module]");
  await browser.close();
  calling = false;
  await calls;
} finally {
  host.kill("SIGTERM");
  await new Promise((resolve) => host.once("exit", resolve));
  rmSync(data, { recursive: true, force: true });
}
