/** Linux reports CPU time in /proc in ticks of 1/100 s (USER_HZ, 100 on every Linux Node supports). */
const US_PER_TICK = 10_000;

/**
 * The CPU time (user + system) in µs that a `/proc/<pid>/stat` or `.../task/<tid>/stat` text
 * holds: fields 14 and 15, counted after the command name in parentheses (which may hold
 * spaces); undefined when they are not numbers. Dependency-free: the child hosts use it too.
 */
export function cpuUsOfStat(stat: string): number | undefined {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ", 13);
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? ticks * US_PER_TICK : undefined;
}
