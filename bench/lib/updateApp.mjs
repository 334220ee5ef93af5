/**
 * The app that bench/update.mjs updates: a counter holding about 1 MB of state, as a Chipset
 * module (`hit()` answers `{ version, count }`; `exportState()` / `importState()` hand the count
 * and the state to the next version), and the same module behind a node:http server for PM2.
 * Versions 1.0.0 and 2.0.0 are the same code; each answers its own version, so a client sees
 * which one served it.
 */
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Two shapes of about 1 MB, both structured-clonable, because the cost of handing state over is
 * the cost of cloning it and that depends on the shape more than on the bytes:
 *   numbers: an Array of 131,072 doubles (1 MiB as float64; 1.18 MB serialized);
 *   strings: a Map of 1,024 strings of 1,000 characters (1.04 MB serialized).
 * `make` is both the value (the floor's state) and, as source, the module's initial state; `hit()`
 * writes one cell of the numbers, reads one entry of the strings.
 */
export const SHAPES = {
  numbers: {
    make: () => Array.from({ length: 131_072 }, (_, i) => i + 0.5),
    touch: "state[count & 131_071] = count + 0.5;",
  },
  strings: {
    make: () => new Map(Array.from({ length: 1_024 }, (_, i) => [`k${i}`, String(i).padEnd(1_000, "x")])),
    touch: "if (state.get(`k${count & 1_023}`).length !== 1_000) throw new Error('state lost');",
  },
};

/** The module's index.js for `shape`. */
export function moduleSource(shape) {
  const { make, touch } = SHAPES[shape];
  return `import { readFileSync } from "node:fs";
import { defineModule } from "chipset/module";

const version = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")).version;
let count = 0;
let state = (${make.toString()})();

export const module = defineModule({
  api: {
    hit() {
      count++;
      ${touch}
      return { version, count };
    },
  },
  exportState() {
    return { count, state };
  },
  importState(saved) {
    count = saved.count;
    state = saved.state;
  },
});
`;
}

/**
 * server.mjs, beside index.js: the app as PM2 runs it, the module's `hit()` answering every
 * request. PM2 stops a process with SIGINT; the server then stops accepting, answers what is in
 * flight with `connection: close`, closes idle keep-alive sockets and exits once all are closed
 * (PM2's graceful-shutdown pattern; without it Node exits at once and drops requests in flight).
 */
export const SERVER_SOURCE = `import { createServer } from "node:http";
import { module } from "./index.js";

const { hit } = module.api;
let closing = false;
const server = createServer((req, res) => {
  const body = JSON.stringify(hit());
  res.writeHead(200, closing ? { "content-type": "application/json", connection: "close" } : { "content-type": "application/json" });
  res.end(body);
});
server.listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGINT", () => {
  closing = true;
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
`;

/**
 * Writes `<root>/<name>-1.0.0/` and `<name>-2.0.0/` (package.json with a chipset manifest of
 * `isolation`, index.js of `shape`, server.mjs); answers both directories.
 */
export function writeAppVersions(root, { name = "app", isolation, shape }) {
  const dirs = {};
  for (const version of ["1.0.0", "2.0.0"]) {
    const dir = join(root, `${name}-${version}`);
    mkdirSync(dir, { recursive: true });
    const chipset = { kind: "bench", activation: "lazy", isolation };
    const pkg = { name, version, type: "module", exports: "./index.js", chipset };
    writeFileSync(join(dir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
    writeFileSync(join(dir, "index.js"), moduleSource(shape));
    writeFileSync(join(dir, "server.mjs"), SERVER_SOURCE);
    dirs[version] = dir;
  }
  return { v1: dirs["1.0.0"], v2: dirs["2.0.0"] };
}

/** Points the symlink `link` at `target` in one step (a deploy's `current` release). */
export function pointLink(link, target) {
  const next = `${link}.next`;
  symlinkSync(target, next, "dir");
  renameSync(next, link);
}
