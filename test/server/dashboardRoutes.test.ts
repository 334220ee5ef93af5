import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../cli/harness.js";
import { hostHarness } from "./harness.js";

const h = hostHarness();

/** A built dashboard of one page and one script, in a temp dir. */
async function builtDashboard(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const made = await tempDir("dashboard-files");
  await mkdir(join(made.dir, "assets"));
  await writeFile(
    join(made.dir, "index.html"),
    `<!doctype html><script type="module" src="./assets/app-1.js"></script>`,
  );
  await writeFile(join(made.dir, "assets", "app-1.js"), "console.log('dashboard')");
  return made;
}

describe("the dashboard's files", () => {
  it("are served without the token, with a policy that lets only the host's own files run", async () => {
    const { dir, cleanup } = await builtDashboard();
    try {
      await h.serve(h.open(), { dashboard: { dir } });
      const page = await h.request("/", { headers: { authorization: "" } });
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(await page.text()).toContain("./assets/app-1.js");
      const csp = page.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(page.headers.get("cache-control")).toBe("no-cache");

      const script = await h.request("/assets/app-1.js", { headers: { authorization: "" } });
      expect(script.status).toBe(200);
      expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
      expect(script.headers.get("cache-control")).toContain("immutable");
      const again = await h.request("/assets/app-1.js", {
        headers: { authorization: "", "if-none-match": script.headers.get("etag") ?? "" },
      });
      expect(again.status).toBe(304);

      // The data is not: every /v1 route still wants the token.
      expect((await h.request("/v1/modules", { headers: { authorization: "" } })).status).toBe(401);
    } finally {
      await cleanup();
    }
  });

  it("never reach outside the built folder", async () => {
    const { dir, cleanup } = await builtDashboard();
    try {
      await h.serve(h.open(), { dashboard: { dir } });
      for (const path of ["/assets/..%2Findex.html", "/assets/..%2F..%2Fpackage.json", "/assets/nope.js"]) {
        const res = await h.request(path, { headers: { authorization: "" } });
        expect(res.status, path).toBe(404);
        expect(((await res.json()) as { code: string }).code, path).toBe("CHIP_ERR_REQUEST_INVALID");
      }
    } finally {
      await cleanup();
    }
  });

  it("answer CHIP_ERR_DASHBOARD_MISSING at / when the dashboard was not built, and the API still serves", async () => {
    const { dir, cleanup } = await tempDir("dashboard-none");
    try {
      await h.serve(h.open(), { dashboard: { dir } });
      const res = await h.request("/", { headers: { authorization: "" } });
      expect(res.status).toBe(404);
      const body = (await res.json()) as { code: string; message: string };
      expect(body.code).toBe("CHIP_ERR_DASHBOARD_MISSING");
      expect(body.message).toContain("npm run build");
      expect((await h.request("/v1/modules")).status).toBe(200);
    } finally {
      await cleanup();
    }
  });

  it("are not served at all with dashboard: false", async () => {
    await h.serve(h.open(), { dashboard: false });
    expect((await h.request("/", { headers: { authorization: "" } })).status).toBe(401);
    const res = await h.request("/");
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe("CHIP_ERR_REQUEST_INVALID");
  });
});
