import type { HostPermissions } from "./processArgs.js";

/**
 * The environment of a process host. A sandboxed one (with `permissions`) gets only the
 * variables its grant names, with the runtime's values (those the runtime does not have are
 * left out), and on Windows `SystemRoot`, without which sockets and crypto fail there: Node
 * itself needs no variable to run, and the runtime's environment holds its secrets. Any other
 * host inherits the runtime's environment. Either way without `NODE_OPTIONS`, which would add
 * flags behind the exact `execArgv` (and may name files the permission model then forbids the
 * child to read).
 */
export function childEnvironment(
  permissions: Pick<HostPermissions, "env"> | undefined,
  parent: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): NodeJS.ProcessEnv {
  if (permissions === undefined) {
    const env = { ...parent };
    delete env.NODE_OPTIONS;
    return env;
  }
  const names = platform === "win32" ? [...permissions.env, "SystemRoot"] : permissions.env;
  const env: NodeJS.ProcessEnv = {};
  for (const name of names) {
    const value = parent[name];
    if (value !== undefined && name !== "NODE_OPTIONS") env[name] = value;
  }
  return env;
}
