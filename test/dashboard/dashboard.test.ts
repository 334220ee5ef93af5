import type { ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chipset, FREE_PORT, spawnCli, stopHost, tempDir, waitForOutput } from "../cli/harness.js";
import { launchChromium } from "./browser.js";

// The dashboard in a real browser (Debian's Chromium, driven by playwright-core) against a real
// host (`chipset start`) running the example modules. Every wait is on what the page shows.

const EXAMPLES = fileURLToPath(new URL("../../examples/", import.meta.url));
const MODULES = readdirSync(join(EXAMPLES, "modules")).sort();
/** Long enough for a loaded 2-core machine; nothing waits this long when all is well. */
const WAIT = { timeout: 45_000 };

interface HostFile {
  url: string;
  token: string;
}

let host: ChildProcess | undefined;
let hostFile: HostFile;
let browser: Browser;
let page: Page;
let cleanup: () => Promise<void> = () => Promise.resolve();
let work: string;

/** A request to the host's API from the test (not the page), with the token. */
async function api<T>(path: string, method: "GET" | "POST" = "GET"): Promise<T> {
  const res = await fetch(hostFile.url + path, {
    method,
    headers: { authorization: `Bearer ${hostFile.token}` },
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** The pid the host says module `id` runs in. */
async function pidOf(id: string): Promise<number> {
  const detail = await api<{ instances: { host: { pid: number } }[] }>(`/v1/modules/${id}`);
  const pid = detail.instances[0]?.host.pid;
  if (pid === undefined) throw new Error(`${id} is not live`);
  return pid;
}

/** Opens a page at 1280x800 that has been given the token through the login form. */
async function signedInPage(): Promise<Page> {
  const p = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await p.goto(`${hostFile.url}/`);
  await p.fill("#token", hostFile.token);
  await p.click("button[type=submit]");
  await p.waitForSelector("tr[data-module]", WAIT);
  return p;
}

/** Clicks the control `action` on an open module page, confirms it, and waits for its outcome. */
async function control(p: Page, action: string): Promise<string> {
  await p.getByRole("button", { name: action, exact: true }).click();
  await p.getByRole("button", { name: "Confirm" }).click();
  // Done when the line names the action and no longer ends in "…" (under way).
  const done = p.getByTestId("outcome").filter({ hasText: new RegExp(`^${action}.*[^…]$`) });
  await done.waitFor(WAIT);
  return (await done.textContent()) ?? "";
}

beforeAll(async () => {
  const made = await tempDir("dashboard");
  cleanup = made.cleanup;
  work = made.dir;
  // The examples as they are, in a folder of the test's own (an update writes nothing there, but
  // the host's data directory and the update's new version live beside them).
  await cp(EXAMPLES, join(work, "examples"), { recursive: true });
  host = spawnCli([
    "--data-dir",
    join(work, "data"),
    "--config",
    join(work, "examples/chipset.config.json"),
    "start",
    ...FREE_PORT,
  ]);
  await waitForOutput(host, /HTTP API at/);
  hostFile = JSON.parse(readFileSync(join(work, "data", "host.json"), "utf8")) as HostFile;
  browser = await launchChromium();
  console.log(`dashboard tests in Chromium ${browser.version()}`);
  page = await signedInPage();
});

afterAll(async () => {
  await browser?.close();
  await stopHost(host);
  await cleanup();
});

describe("the dashboard", () => {
  it("refuses a wrong token and shows no data", async () => {
    const p = await browser.newPage();
    await p.goto(`${hostFile.url}/`);
    await p.fill("#token", "not-the-token");
    await p.click("button[type=submit]");
    const error = await p.waitForSelector("[data-testid=login-error]", WAIT);
    expect(await error.textContent()).toContain("CHIP_ERR_UNAUTHORIZED");
    expect(await p.locator("tr[data-module]").count()).toBe(0);
    await p.close();
  });

  it("opens signed in from the address `chipset dashboard` prints, which then leaves the address bar", async () => {
    const printed = await chipset(["--data-dir", join(work, "data"), "dashboard"]);
    expect(printed.code).toBe(0);
    const address = printed.stdout.trim();
    expect(address).toBe(`${hostFile.url}/#token=${hostFile.token}`);
    const p = await browser.newPage();
    await p.goto(address);
    await p.waitForSelector("tr[data-module]", WAIT);
    expect(p.url()).not.toContain(hostFile.token);
    await p.close();
  });

  it("lists every module, and shows a module started over the API as running without a reload", async () => {
    await page.goto(`${hostFile.url}/#/modules`);
    await page.waitForSelector("tr[data-module=codec]", WAIT);
    const listed = await Promise.all(
      (await page.locator("tr[data-module]").all()).map((row) => row.getAttribute("data-module")),
    );
    expect([...listed].sort()).toEqual(MODULES);
    expect(await page.getAttribute("tr[data-module=codec]", "data-state")).toBe("registered");

    await api("/v1/modules/codec/start", "POST");
    await page.waitForSelector("tr[data-module=codec][data-state=running]", WAIT);
    expect(await page.locator("tr[data-module=codec] [data-testid=state]").textContent()).toBe("running");
  });

  it("draws the demo's dependency graph by load level, optional edges dashed", async () => {
    await page.goto(`${hostFile.url}/#/graph`);
    await page.waitForSelector("g.node[data-module=video-player]", WAIT);
    const nodes = await Promise.all(
      (await page.locator("g.node").all()).map(async (g) => ({
        id: (await g.getAttribute("data-module")) ?? "",
        level: await g.getAttribute("data-level"),
        y: (await g.boundingBox())?.y ?? NaN,
      })),
    );
    const levels = Object.fromEntries(nodes.map((n) => [n.id, n.level]));
    expect(levels).toEqual({
      "event-bus": "0",
      "file-io": "0",
      "gpu-accel": "0",
      "soft-decoder": "0",
      codec: "1",
      "image-viewer": "1",
      settings: "1",
      subtitles: "1",
      thumbnailer: "2",
      "video-player": "2",
    });
    // Each level is one row, below the one before.
    const rowOf = (level: string) => [
      ...new Set(nodes.filter((n) => n.level === level).map((n) => Math.round(n.y))),
    ];
    expect(rowOf("0")).toHaveLength(1);
    expect(rowOf("1")).toHaveLength(1);
    expect(rowOf("2")).toHaveLength(1);
    expect(rowOf("0")[0]!).toBeLessThan(rowOf("1")[0]!);
    expect(rowOf("1")[0]!).toBeLessThan(rowOf("2")[0]!);
    expect(await page.getAttribute("path.edge[data-from=codec][data-to=gpu-accel]", "class")).toContain(
      "optional",
    );
    expect(await page.getAttribute("path.edge[data-from=codec][data-to=file-io]", "class")).not.toContain(
      "optional",
    );

    // A node opens its module, from the keyboard too.
    await page.focus("g.node[data-module=settings]");
    await page.keyboard.press("Enter");
    await page.waitForSelector("[data-testid=detail-state]", WAIT);
    expect(page.url()).toContain("#/module/settings");
  });

  it("restarts a process module from its page and shows its new pid", async () => {
    await api("/v1/modules/gpu-accel/start", "POST");
    const before = await pidOf("gpu-accel");
    await page.goto(`${hostFile.url}/#/module/gpu-accel`);
    await page.waitForSelector(`[data-testid=instance-where]:text("pid ${before}")`, WAIT);

    // codec (running) requires it: the host refuses, and the page says why with the code.
    expect(await control(page, "restart")).toMatch(/^restart gpu-accel: CHIP_ERR_MODULE_IN_USE: .*codec/);
    expect(await pidOf("gpu-accel")).toBe(before);

    await page.getByLabel("with dependents").check();
    expect(await control(page, "restart")).toBe("restart gpu-accel with its dependents: now running");
    const after = await pidOf("gpu-accel");
    expect(after).not.toBe(before);
    await page.waitForSelector(`[data-testid=instance-where]:text("pid ${after}")`, WAIT);
  });

  it("updates a module from its page to a new version, which then serves", async () => {
    const next = join(work, "subtitles-0.5.0");
    await cp(join(work, "examples/modules/subtitles"), next, { recursive: true });
    const pkg = JSON.parse(await readFile(join(next, "package.json"), "utf8")) as { version: string };
    await writeFile(join(next, "package.json"), JSON.stringify({ ...pkg, version: "0.5.0" }));
    await api("/v1/modules/subtitles/start", "POST");

    await page.goto(`${hostFile.url}/#/module/subtitles`);
    await page.waitForSelector("[data-testid=versions] tr[data-version='0.4.2']", WAIT);
    await page.getByLabel("update source or version").fill(next);
    expect(await control(page, "update")).toMatch(
      /^update subtitles from .*: completed \(0\.4\.2 → 0\.5\.0\)$/,
    );
    await page.waitForSelector("[data-testid=versions] tr[data-version='0.5.0']", WAIT);
    const served = await api<{ version: string; state: string }>("/v1/modules/subtitles");
    expect(served).toMatchObject({ version: "0.5.0", state: "running" });
    const history = await page.waitForSelector("[data-testid=updates] li", WAIT);
    expect(await history.textContent()).toContain("update (blue-green) 0.4.2 → 0.5.0: completed");
  });

  it("shows a crash live: in the event log and in the module's crash history", async () => {
    await api("/v1/modules/gpu-accel/start", "POST");
    const pid = await pidOf("gpu-accel");
    await page.goto(`${hostFile.url}/#/events`);
    await page.waitForSelector("table.eventlog", WAIT);
    process.kill(pid, "SIGKILL");
    const row = await page.waitForSelector("tr[data-event='module.crashed']", WAIT);
    expect(await row.textContent()).toContain("gpu-accel");

    await page.goto(`${hostFile.url}/#/module/gpu-accel`);
    const crashes = await page.waitForSelector("[data-testid=crashes] li", WAIT);
    expect(await crashes.textContent()).toContain("restart");
  });

  it("shows a module's configuration, where it came from, and its log lines", async () => {
    await page.goto(`${hostFile.url}/#/module/codec`);
    const log = await page.waitForSelector("[data-testid=log]:has-text('codec ready')", WAIT);
    expect(await log.textContent()).toMatch(/INFO\s+codec ready/i);
    await page.goto(`${hostFile.url}/#/module/settings`);
    const config = await page.waitForSelector("[data-testid=config]", WAIT);
    expect(JSON.parse((await config.textContent()) ?? "")).toMatchObject({
      theme: "dark",
      language: "zh-CN",
    });
    expect(await page.textContent("section.detail")).toContain(join(work, "examples/chipset.config.json"));
  });

  it("reaches the controls from the keyboard", async () => {
    await page.goto(`${hostFile.url}/#/module/settings`);
    await page.waitForSelector("[data-testid=detail-state]", WAIT);
    let focused = "";
    for (let presses = 0; presses < 30 && focused !== "restart"; presses += 1) {
      await page.keyboard.press("Tab");
      focused = await page.evaluate<string>(`document.activeElement?.textContent?.trim() ?? ""`);
    }
    expect(focused).toBe("restart");
  });

  it("keeps the module table still while states stream in", async () => {
    await page.goto(`${hostFile.url}/#/modules`);
    await page.waitForSelector("tr[data-module=settings][data-state=running]", WAIT);
    // In the page (the test's TypeScript has no DOM): add up every layout shift from now on.
    await page.evaluate(`
      window.shifted = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.shifted += e.value;
      }).observe({ type: "layout-shift" });
    `);
    for (const action of ["pause", "resume", "pause", "resume"]) {
      await api(`/v1/modules/settings/${action}`, "POST");
      const state = action === "pause" ? "paused" : "running";
      await page.waitForSelector(`tr[data-module=settings][data-state=${state}]`, WAIT);
    }
    expect(await page.evaluate<number>("window.shifted")).toBeLessThan(0.01);
  });

  it("fits a narrow window: only the tables scroll sideways", async () => {
    const narrow = await browser.newPage({ viewport: { width: 420, height: 800 } });
    await narrow.goto(`${hostFile.url}/`);
    await narrow.fill("#token", hostFile.token);
    await narrow.click("button[type=submit]");
    await narrow.waitForSelector("tr[data-module]", WAIT);
    for (const view of ["modules", "graph", "module/codec", "events", "environment"]) {
      await narrow.goto(`${hostFile.url}/#/${view}`);
      await narrow.waitForSelector("main section.view", WAIT);
      const overflow = await narrow.evaluate<number>(
        "document.documentElement.scrollWidth - window.innerWidth",
      );
      expect(overflow, view).toBeLessThanOrEqual(0);
    }
    await narrow.close();
  });
});
