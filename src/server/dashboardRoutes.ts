import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply } from "fastify";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";

/** Where the host finds the dashboard's built files: `false` serves none at `/`. */
export type DashboardOptions = { dir?: string } | false;

/** One built file, read once when the host starts. */
interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

const types: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
  ".md": "text/markdown; charset=utf-8",
};

/**
 * Every byte the page loads comes from this host; scripts and styles only from its files. The page
 * holds the token (in sessionStorage), so nothing else may run there, frame it, or learn where it was.
 */
const securityHeaders = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

/**
 * The dashboard's directory: `dir` when given, else the one built beside this file in the package
 * (`dist/dashboard`), or in `dist/` when the host runs from its sources (tests).
 */
export function dashboardDir(dir?: string): string {
  if (dir !== undefined) return dir;
  const built = fileURLToPath(new URL("../dashboard", import.meta.url));
  if (existsSync(built)) return built;
  return fileURLToPath(new URL("../../dist/dashboard", import.meta.url));
}

/**
 * `GET /` (the page) and `GET /assets/{file}` (its scripts and styles), public: a browser's
 * navigation cannot send the bearer token, and these files hold no data; the page asks for the
 * token and every byte of data still comes from `/v1` with it. The files are read into memory once,
 * so no request path ever reaches the file system. Without a built dashboard `/` answers
 * `CHIP_ERR_DASHBOARD_MISSING` (404) and the API serves as before.
 */
export function registerDashboardRoutes(app: FastifyInstance, options: { dir?: string }): void {
  const dir = dashboardDir(options.dir);
  const page = readAsset(join(dir, "index.html"));
  const assets = readAssets(join(dir, "assets"));
  const config = { public: true };
  const schema = { hide: true };

  app.get("/", { config, schema }, (request, reply) => {
    if (page === undefined)
      throw new ChipsetError(
        ErrorCodes.DASHBOARD_MISSING,
        `this host has no dashboard to serve: ${dir} holds no index.html; run \`npm run build\` and start the host again (the API under /v1 works without it)`,
        { details: { dir } },
      );
    // Always asked again: a new build names new assets.
    return send(reply, page, request.headers["if-none-match"], "no-cache");
  });

  app.get<{ Params: { file: string } }>("/assets/:file", { config, schema }, (request, reply) => {
    const asset = assets.get(request.params.file);
    if (asset === undefined) {
      const error = new ChipsetError(
        ErrorCodes.REQUEST_INVALID,
        `no dashboard asset ${request.params.file}: the host was rebuilt since the page loaded; reload the page`,
        { details: { file: request.params.file } },
      );
      return reply.code(404).send(error.toJSON());
    }
    // Hashed names: a file under a name never changes.
    return send(reply, asset, request.headers["if-none-match"], "public, max-age=31536000, immutable");
  });
}

function send(
  reply: FastifyReply,
  asset: Asset,
  ifNoneMatch: string | undefined,
  cache: string,
): FastifyReply {
  reply.headers({ ...securityHeaders, "cache-control": cache, etag: asset.etag });
  if (ifNoneMatch === asset.etag) return reply.code(304).send();
  return reply.type(asset.type).send(asset.body);
}

function readAsset(file: string): Asset | undefined {
  if (!existsSync(file)) return undefined;
  const body = readFileSync(file);
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
  return { body, type: types[extname(file)] ?? "application/octet-stream", etag };
}

function readAssets(dir: string): Map<string, Asset> {
  const out = new Map<string, Asset>();
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const asset = readAsset(join(dir, name));
    if (asset !== undefined) out.set(name, asset);
  }
  return out;
}
