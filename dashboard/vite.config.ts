// The dashboard's build: `npm run build` bundles dashboard/ into dist/dashboard, which the host serves
// at `/` (src/server/dashboardRoutes.ts). Everything it needs is in the bundle: no CDN, no web font.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  logLevel: "warn",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: fileURLToPath(new URL("../dist/dashboard", import.meta.url)),
    emptyOutDir: true,
    assetsDir: "assets",
    // One licence file lists every bundled package (Preact, dagre, uPlot): they ship inside dist.
    license: { fileName: "licenses.md" },
    sourcemap: false,
    target: "es2022",
  },
});
