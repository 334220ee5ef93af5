import type {
  Capability,
  EnvironmentReport,
  Evidence,
  MachineVerdict,
  Verdict,
} from "../environment/EnvironmentReport.js";
import { table } from "./format.js";

/** The verdicts in the order `chipset env` prints them. */
const VERDICTS: ReadonlyArray<readonly [keyof EnvironmentReport["verdicts"], string]> = [
  ["machine", "machine"],
  ["container", "container"],
  ["kubernetes", "kubernetes"],
  ["wsl", "wsl"],
  ["serverless", "serverless"],
  ["ci", "ci"],
];

/** The capabilities in the order `chipset env` prints them, with their names for people. */
const CAPABILITIES: ReadonlyArray<readonly [keyof EnvironmentReport["capabilities"], string]> = [
  ["threads", "worker threads"],
  ["childProcesses", "child processes"],
  ["permissionModel", "permission model"],
  ["cpu", "cpu"],
  ["memory", "memory"],
  ["disk", "writable disk"],
  ["network", "network"],
];

const evidenceText = (evidence: readonly Evidence[]): string =>
  evidence.map((e) => `${e.source}: ${e.found}`).join("; ");

function verdictText(name: string, verdict: Verdict): string {
  if (name === "machine") {
    const machine = verdict as MachineVerdict;
    if (machine.value === "virtual-machine")
      return machine.hypervisor === null ? "virtual machine" : `virtual machine (${machine.hypervisor})`;
    return machine.value === "bare-metal" ? "bare metal" : "unknown";
  }
  return verdict.value;
}

/**
 * `chipset env`'s tables for people: the verdicts with the evidence that decided them (for a
 * verdict of none, the places looked at), the capability matrix with its limits, and the
 * adapted defaults with why.
 */
export function describeEnvironment(report: EnvironmentReport): string[] {
  const verdicts = table(
    ["WHERE", "VERDICT", "EVIDENCE"],
    VERDICTS.map(([key, name]) => {
      const verdict = report.verdicts[key];
      const found =
        verdict.detected || key === "machine"
          ? evidenceText(verdict.evidence)
          : `nothing found in ${verdict.evidence.map((e) => e.source).join("; ")}`;
      return [name, verdictText(key, verdict), found];
    }),
  );
  const capabilities = table(
    ["CAPABILITY", "HERE", "LIMIT"],
    CAPABILITIES.map(([key, name]) => {
      const capability: Capability = report.capabilities[key];
      return [name, capability.available ? "yes" : "no", capability.detail];
    }),
  );
  const defaults = table(
    ["DEFAULT", "VALUE", "SOURCE", "WHY"],
    Object.values(report.defaults).map((d: EnvironmentReport["defaults"]["poolWorker"]) => [
      d.setting,
      d.value === null ? "none" : String(d.value),
      d.source,
      d.why,
    ]),
  );
  return [...verdicts, "", ...capabilities, "", ...defaults];
}
