// Run by HostPool.test.ts in a fresh Node process: it must exit on its own (nothing closed),
// and must not exit before a pending call is answered.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HostPool } from "../../../dist/hosts/HostPool.js";
import { linkSdk } from "../../../dist/hosts/sdkLink.js";
import { loadedHost } from "./loadedHost.mjs";

const [mode, isolation] = process.argv.slice(2);
const pool = new HostPool({ worker: 1, process: 1, heartbeatMs: 20 });

if (mode === "blank") {
  // Taking a host waits for it to start; the pool refills behind it. None of them is closed.
  await pool.acquire({ isolation: "worker" });
  await pool.acquire({ isolation: "process" });
  console.log("warmed");
} else {
  const root = mkdtempSync(join(tmpdir(), "chipset-keepalive-"));
  const dir = join(root, "late");
  mkdirSync(dir);
  linkSdk(root);
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "late", version: "1.0.0", type: "module" }),
  );
  writeFileSync(
    join(dir, "index.js"),
    `import { defineModule } from "chipset/module";
     export const module = defineModule({ api: { late(isolation) { return new Promise((r) => setTimeout(() => r("answered late from " + isolation), 300)); } } });`,
  );
  const host = await loadedHost({ isolation, id: "late", dir, root, pool });
  rmSync(root, { recursive: true, force: true });
  console.log(await host.call("late", [isolation]));
}
