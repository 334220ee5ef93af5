import { chownSync, existsSync, mkdirSync, realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { ChipsetError, messageOf } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { PermissionCeilings, PermissionsSection } from "../vocabulary/permissions.js";

/** What a sandboxed module gets, every path absolute (the host adds what it needs to run). */
export interface SandboxGrant {
  fsRead: string[];
  fsWrite: string[];
  childProcess: boolean;
  worker: boolean;
  env: string[];
  net: boolean;
}

/**
 * The ceiling when the config file says nothing: the module's own directory (always within
 * every ceiling, for reads and writes), worker threads (they stay under the permission model),
 * no child processes (on Node 20 they leave it entirely, and on any Node a shell does), no
 * environment variable, and the network when the manifest asks for it.
 */
export const DEFAULT_CEILING: Required<PermissionsSection> = {
  fsRead: [],
  fsWrite: [],
  childProcess: false,
  worker: true,
  env: [],
  net: true,
};

/** No ceiling set by an operator: every module gets {@link DEFAULT_CEILING}. */
export const NO_CEILINGS: PermissionCeilings = { file: undefined, default: undefined, modules: new Map() };

/**
 * What module `id` (installed in `dir`) gets for the `permissions` its manifest asks for, within
 * the operator's `ceilings` (the module's entry over `default`, field by field, over
 * {@link DEFAULT_CEILING}). A path is within a ceiling when it is, or is under, one of its paths
 * once links are resolved. Throws `CHIP_ERR_PERMISSION_DENIED` naming everything asked for beyond
 * the ceiling, and where to grant it.
 */
export function sandboxGrant(
  key: string,
  id: string,
  dir: string,
  asked: PermissionsSection,
  ceilings: PermissionCeilings,
): SandboxGrant {
  const ceiling = ceilingOf(id, ceilings);
  const grant: SandboxGrant = {
    fsRead: (asked.fsRead ?? []).map((p) => resolve(dir, p)),
    fsWrite: (asked.fsWrite ?? []).map((p) => resolve(dir, p)),
    childProcess: asked.childProcess ?? false,
    worker: asked.worker ?? false,
    env: [...new Set(asked.env ?? [])],
    net: asked.net ?? false,
  };
  const denied: string[] = [];
  for (const field of ["fsRead", "fsWrite"] as const) {
    const within = [dir, ...ceiling[field]].map(physical);
    grant[field].forEach((path, i) => {
      if (!within.some((top) => isWithin(physical(path), top))) denied.push(`${field} ${asked[field]![i]!}`);
    });
  }
  if (grant.childProcess && !ceiling.childProcess) denied.push("childProcess");
  if (grant.worker && !ceiling.worker) denied.push("worker");
  if (grant.net && !ceiling.net) denied.push("net");
  for (const name of grant.env) if (!ceiling.env.includes(name)) denied.push(`env ${name}`);
  if (denied.length > 0) {
    const file = ceilings.file ?? "chipset.config.json";
    throw new ChipsetError(
      ErrorCodes.PERMISSION_DENIED,
      `${key} asks for ${denied.join(", ")}, which the operator's ceiling for ${id} does not grant; ` +
        `add ${denied.length === 1 ? "it" : "them"} to permissions[${JSON.stringify(id)}] (or permissions.default) in ${file}, ` +
        `or remove ${denied.length === 1 ? "it" : "them"} from the module's manifest`,
      { module: key, details: { denied, file } },
    );
  }
  return grant;
}

/**
 * Creates the directories of `grant.fsWrite` that are missing and inside `dir`, the module's own
 * directory: Node's permission model takes a grant of a path that does not exist for a file, so
 * a module granted `./out` could not write `out/x`. With `owner` (the unprivileged user a
 * sandboxed module runs as, see `sandboxFeatures`), those directories inside `dir` are given to
 * it, so that the kernel lets it write what the permission model grants. Throws
 * `CHIP_ERR_HOST_START_FAILED` when one cannot be created.
 */
export function createWriteDirs(
  key: string,
  dir: string,
  grant: SandboxGrant,
  owner?: { uid: number; gid: number },
): void {
  const top = physical(dir);
  for (const path of grant.fsWrite) {
    if (!isWithin(physical(path), top)) continue;
    try {
      if (!existsSync(path)) mkdirSync(path, { recursive: true });
      if (owner !== undefined) chownSync(path, owner.uid, owner.gid);
    } catch (err) {
      throw new ChipsetError(
        ErrorCodes.HOST_START_FAILED,
        `${key}: the directory ${path} it may write could not be created (${messageOf(err)}); check that its directory is writable`,
        { module: key, cause: err },
      );
    }
  }
}

function ceilingOf(id: string, ceilings: PermissionCeilings): Required<PermissionsSection> {
  const own = ceilings.modules.get(id);
  const pick = <K extends keyof PermissionsSection>(field: K): Required<PermissionsSection>[K] =>
    (own?.[field] ?? ceilings.default?.[field] ?? DEFAULT_CEILING[field]) as Required<PermissionsSection>[K];
  return {
    fsRead: pick("fsRead"),
    fsWrite: pick("fsWrite"),
    childProcess: pick("childProcess"),
    worker: pick("worker"),
    env: pick("env"),
    net: pick("net"),
  };
}

/** True when `path` is `top` or under it (both absolute and resolved). */
function isWithin(path: string, top: string): boolean {
  const rel = relative(top, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/** `path` with links resolved: the real path of its longest existing part, the rest appended. */
function physical(path: string): string {
  const rest: string[] = [];
  for (let at = resolve(path); ;) {
    try {
      return join(realpathSync(at), ...rest.reverse());
    } catch {
      const parent = dirname(at);
      if (parent === at) return resolve(path);
      rest.push(basename(at));
      at = parent;
    }
  }
}
