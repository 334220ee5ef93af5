import { chromium } from "playwright-core";
import { writeFileSync } from "node:fs";
import { startDashboardHost } from "../lib/dashboardHost.mjs";
import { tempDir } from "../lib/fixtures.mjs";
const view = process.argv[2] ?? "#/modules";
const variants = JSON.parse(process.argv[3] ?? '{"base":""}');
const host = await startDashboardHost({ dataDir: tempDir("diag") });
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, chromiumSandbox: false });
for (const round of [0, 1]) for (const [name, css] of Object.entries(variants)) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
  await page.goto(`${host.url}/#token=${host.token}`);
  await page.waitForFunction(`document.querySelectorAll("tr[data-module]").length >= 200`);
  if (css) await page.addStyleTag({ content: css });
  await page.evaluate(`location.hash=${JSON.stringify(view)}`);
  await new Promise(r=>setTimeout(r,1000));
  await browser.startTracing(page, { categories: ["devtools.timeline","disabled-by-default-devtools.timeline","v8.execute","blink"] });
  await host.flood({ ms: 3000, perMs: 1 });
  await new Promise(r=>setTimeout(r,300));
  const buf = await browser.stopTracing();
  const file = `/tmp/dbproto/trace-${name}-${round}.json`;
  writeFileSync(file, buf);
  console.log("==", name, round, file);
  await page.close();
}
await browser.close(); await host.close();
