import type { DoctorFindings, DoctorRepairs } from "../registry/RegistryDoctor.js";
import type { Registry } from "../registry/Registry.js";
import type { RecoveryReport } from "../registry/recoverStore.js";

const REPAIR = "run `chipset doctor` to see it all, `chipset doctor --repair` to fix it";

/** Lines for stderr when a read-only command finds the data directory in need of repair; none when it is fine. */
export function describeRepairNeeded(registry: Registry): string[] {
  const lines: string[] = [];
  const recovery = describeRecovery(registry.lastRecovery);
  if (recovery.length > 0) lines.push(`the data directory needs repair (${recovery.join("; ")}): ${REPAIR}`);
  for (const bad of registry.badRows())
    lines.push(
      `the registry row of ${bad.id}@${bad.version} is damaged (${bad.problem}) and left out: ${REPAIR}`,
    );
  return lines;
}

/** What a recovery report did or would do, one phrase per finding (empty: nothing). */
export function describeRecovery(report: RecoveryReport): string[] {
  const done = report.applied;
  const phrases: string[] = [];
  const add = (items: readonly string[], did: string, would: string): void => {
    if (items.length > 0) phrases.push(`${done ? did : would} ${items.join(", ")}`);
  };
  add(report.completed, "finished installing", "to finish installing:");
  add(report.restored, "brought back from the trash", "to bring back from the trash:");
  add(report.adopted, "registered again from the store", "to register again from the store:");
  add(report.dropped, "dropped the rows (no copy left) of", "rows to drop (no copy left):");
  add(
    report.quarantined.map(
      (q) => `${q.path} (${q.reason})${q.movedTo === undefined ? "" : ` -> ${q.movedTo}`}`,
    ),
    "quarantined",
    "to quarantine:",
  );
  if (report.discarded > 0)
    phrases.push(
      `${done ? "discarded" : "to discard:"} ${report.discarded} abandoned staging cop${report.discarded === 1 ? "y" : "ies"}`,
    );
  add(
    report.failed.map((f) => `${f.path} (${f.message})`),
    "could not handle",
    "cannot handle",
  );
  return phrases;
}

/** The lines of `chipset doctor`'s report. */
export function describeDoctor(
  dataDir: string,
  findings: DoctorFindings,
  recovery: RecoveryReport,
  repairs: DoctorRepairs | undefined,
): string[] {
  const lines = [`data directory ${dataDir}`];
  const recovered = describeRecovery(recovery);
  if (recovered.length > 0) lines.push(...recovered.map((p) => `  recovery: ${p}`));
  if (repairs !== undefined) {
    const r = repairs;
    if (r.deletedRows.length > 0) lines.push(`  deleted damaged rows: ${r.deletedRows.join(", ")}`);
    if (r.quarantined.length > 0) lines.push(`  quarantined changed copies: ${r.quarantined.join(", ")}`);
    if (r.reinstalled.length > 0)
      lines.push(`  installed again from their source: ${r.reinstalled.join(", ")}`);
    if (r.leases > 0)
      lines.push(`  deleted ${r.leases} lease${r.leases === 1 ? "" : "s"} of processes that are gone`);
    lines.push(...describeRecovery(r.recovery).map((p) => `  recovery: ${p}`));
  }
  for (const line of findings.database) lines.push(`  database: ${line}`);
  for (const bad of findings.badRows) lines.push(`  damaged row ${bad.id}@${bad.version}: ${bad.problem}`);
  for (const t of findings.tampered) lines.push(`  changed copy ${t.id}@${t.version}: ${t.problem}`);
  if (findings.staleLeases.length > 0)
    lines.push(`  ${findings.staleLeases.length} lease(s) of processes that are gone`);
  return lines;
}
