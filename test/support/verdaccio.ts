import { execFile } from "node:child_process";
import fs from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { runServer } from "verdaccio";

/** One request the registry answered, as its HTTP server saw it. */
export interface RecordedRequest {
  readonly method: string;
  /** The path and query, as sent (`/@acme%2fplayer`). */
  readonly url: string;
  readonly status: number;
  /** The `authorization` header the request carried, if any. */
  readonly authorization: string | undefined;
}

/** A real Verdaccio registry on loopback, with a user, its token and a private storage directory. */
export interface VerdaccioRegistry {
  /** Base URL with a trailing slash: `http://127.0.0.1:<port>/`. */
  readonly url: string;
  /** The test user's token (send as `Authorization: Bearer <token>`). */
  readonly token: string;
  /** Where Verdaccio keeps packages: `<storage>/<name>/package.json` and the tarballs beside it. */
  readonly storage: string;
  /** Every request answered so far, oldest first. */
  readonly requests: readonly RecordedRequest[];
  /** Publishes the package in `dir` with the real `npm publish` (a temporary userconfig and cache). */
  publish(dir: string): Promise<void>;
  /** The stored tarball of `name@version` (alter it to play a tampered registry). */
  tarballPath(name: string, version: string): string;
  /** Changes the stored packument of `name` (what the registry serves from then on). */
  editPackument(name: string, edit: (packument: StoredPackument) => void): void;
  /** Closes the server and removes its storage. */
  stop(): Promise<void>;
}

/** The stored packument, as far as tests change it. */
export interface StoredPackument {
  versions: Record<string, { dist: Record<string, unknown> & { integrity: string; tarball: string } }>;
  [field: string]: unknown;
}

/** How {@link startVerdaccio} sets the registry up. */
export interface VerdaccioOptions {
  /** Scopes (`"@private"`) whose packages only an authenticated user may read. Default none. */
  privateScopes?: readonly string[];
}

/**
 * Starts Verdaccio 6.8 in this process (its `runServer`) on 127.0.0.1 and a free port, with a
 * fresh storage directory and a generated config: no uplinks (it never reaches the internet),
 * anyone may read, an authenticated user may publish. Resolves once it listens and a user has
 * been created through its API (`PUT /-/user/org.couchdb.user:<name>`), whose token is
 * `token`. Stop it with `stop()` in `afterAll`.
 */
export async function startVerdaccio(options: VerdaccioOptions = {}): Promise<VerdaccioRegistry> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "chipset-verdaccio-"));
  const storage = path.join(root, "storage");
  const packages: Record<string, { access: string; publish: string }> = {};
  for (const scope of options.privateScopes ?? [])
    packages[`${scope}/*`] = { access: "$authenticated", publish: "$authenticated" };
  packages["**"] = { access: "$all", publish: "$authenticated" };
  const server = (await runServer({
    self_path: root,
    storage,
    auth: { htpasswd: { file: path.join(root, "htpasswd"), max_users: 100 } },
    uplinks: {},
    packages,
    web: { enable: false },
    log: { type: "stdout", format: "json", level: "error" },
  })) as Server;
  const requests: RecordedRequest[] = [];
  server.on("request", (req, res) => {
    res.on("finish", () => {
      requests.push({
        method: req.method ?? "",
        url: req.url ?? "",
        status: res.statusCode,
        authorization: req.headers.authorization,
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/`;
  const stop = async (): Promise<void> => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.rmSync(root, { recursive: true, force: true });
  };
  try {
    const token = await createUser(url, "chipset-test", "chipset-test-password");
    const npmrc = path.join(root, "npmrc");
    fs.writeFileSync(npmrc, `registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\n`);
    return {
      url,
      token,
      storage,
      requests,
      publish: (dir) => npmPublish(dir, url, npmrc, path.join(root, "npm-cache")),
      tarballPath: (name, version) => path.join(storage, name, `${name.split("/").pop()}-${version}.tgz`),
      editPackument(name, edit) {
        const file = path.join(storage, name, "package.json");
        const packument = JSON.parse(fs.readFileSync(file, "utf8")) as StoredPackument;
        edit(packument);
        fs.writeFileSync(file, JSON.stringify(packument, null, 2));
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function createUser(url: string, name: string, password: string): Promise<string> {
  const response = await fetch(new URL(`-/user/org.couchdb.user:${name}`, url), {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, password }),
  });
  const body = (await response.json()) as { token?: unknown };
  if (response.status !== 201 || typeof body.token !== "string")
    throw new Error(`Verdaccio did not create user ${name}: ${response.status} ${JSON.stringify(body)}`);
  return body.token;
}

/** Runs the real `npm publish` in `dir` against `url`, with its own userconfig and cache (the user's are untouched). */
function npmPublish(dir: string, url: string, userconfig: string, cache: string): Promise<void> {
  const [command, ...prefix] = npmCommand();
  const args = [...prefix, "publish", "--registry", url, "--userconfig", userconfig, "--cache", cache];
  args.push("--ignore-scripts", "--no-audit", "--no-fund", "--loglevel", "error");
  // npm's own settings from the environment (npx sets some) must not reach the child.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_/i.test(k)));
  return new Promise((resolve, reject) => {
    execFile(command!, args, { cwd: dir, env }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`npm publish ${dir} failed: ${stderr || err.message}`, { cause: err }));
      else resolve();
    });
  });
}

/** `npm`, run with this process's Node when it is a script (so a test on Node 24 publishes with Node 24). */
function npmCommand(): string[] {
  for (const dir of (process.env["PATH"] ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, "npm");
    if (!fs.existsSync(candidate)) continue;
    const real = fs.realpathSync(candidate);
    return real.endsWith(".js") ? [process.execPath, real] : [real];
  }
  throw new Error("npm is not on the PATH: the registry tests publish with the real npm");
}
