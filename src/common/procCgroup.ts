/**
 * The cgroups a process belongs to, from the text of `/proc/<pid>/cgroup`: the unified (v2)
 * path from the `0::` line, and the v1 path of each controller (`4:memory:/docker/abc`; a line
 * naming several, `2:cpu,cpuacct:/x`, gives each of them). Paths start with `/`, relative to the
 * hierarchy's mount. Read by the sandbox's cgroups (hosts/) and the environment's limits (environment/).
 */
export interface ProcCgroup {
  /** The cgroup v2 path (`0::<path>`), absent when the process is in no v2 hierarchy. */
  unified?: string;
  /** The cgroup v1 path per controller name (`memory`, `cpu`, `pids`, `name=systemd`...). */
  controllers: Map<string, string>;
}

/** Parses the text of `/proc/<pid>/cgroup` (see {@link ProcCgroup}); lines it does not understand are skipped. */
export function parseProcCgroup(text: string): ProcCgroup {
  const result: ProcCgroup = { controllers: new Map() };
  for (const line of text.split("\n")) {
    const first = line.indexOf(":");
    const second = line.indexOf(":", first + 1);
    if (first < 0 || second < 0) continue;
    const names = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (line.slice(0, first) === "0" && names === "") result.unified = path;
    else for (const name of names.split(",")) if (name !== "") result.controllers.set(name, path);
  }
  return result;
}
