import type { Evidence, MachineVerdict } from "./EnvironmentReport.js";
import { shorten, type SystemFiles } from "./SystemFiles.js";

/** A sign of a hypervisor: which one, and whether it alone proves a virtual machine. */
interface Hint {
  hypervisor: string;
  /** True when only a guest shows it (a kvm-clock, a DMI product of a hypervisor); false when bare-metal hosts of a cloud show it too. */
  proves: boolean;
  evidence: Evidence;
}

const DMI = "/sys/class/dmi/id";

/** DMI values only a hypervisor's virtual firmware reports: [file, pattern, hypervisor]. */
const DMI_GUESTS: ReadonlyArray<readonly [string, RegExp, string]> = [
  ["sys_vendor", /^VMware/i, "vmware"],
  ["product_name", /^VMware/i, "vmware"],
  ["sys_vendor", /^innotek GmbH/i, "virtualbox"],
  ["product_name", /^VirtualBox/i, "virtualbox"],
  ["product_name", /^KVM\b/i, "kvm"],
  ["sys_vendor", /^QEMU/i, "qemu"],
  ["sys_vendor", /^Xen$/i, "xen"],
  ["product_name", /^HVM domU/i, "xen"],
  ["sys_vendor", /^Parallels/i, "parallels"],
  ["sys_vendor", /^BHYVE/i, "bhyve"],
  ["bios_vendor", /^BHYVE/i, "bhyve"],
  ["bios_vendor", /^SeaBIOS/i, "kvm"],
];

/** DMI values of clouds whose bare-metal machines report them too: they name the hypervisor once a guest is proven. */
const DMI_CLOUDS: ReadonlyArray<readonly [string, RegExp, string]> = [
  ["sys_vendor", /^Amazon EC2/i, "kvm"],
  ["sys_vendor", /^Google/i, "kvm"],
  ["sys_vendor", /^Microsoft Corporation/i, "hyper-v"],
];

/** Clock sources a kernel offers only as a guest of that hypervisor. */
const CLOCKSOURCES: ReadonlyArray<readonly [string, string]> = [
  ["kvm-clock", "kvm"],
  ["hyperv_clocksource_tsc_page", "hyper-v"],
  ["xen", "xen"],
];

/**
 * Bare metal or a virtual machine, and which hypervisor: the `hypervisor` flag of
 * `/proc/cpuinfo` (set by every x86 hypervisor), `/sys/hypervisor/type` and `/proc/xen` (Xen),
 * DMI vendor and product names (`/sys/class/dmi/id`), the kernel's clock sources (`kvm-clock`,
 * Hyper-V's, Xen's) and a WSL2 kernel (a Hyper-V guest). Bare metal is said only where
 * `/proc/cpuinfo` has x86 flags without `hypervisor` and nothing else shows a guest; else unknown.
 */
export function detectMachine(files: SystemFiles): MachineVerdict {
  const evidence: Evidence[] = [];
  const cpuinfo = files.text("/proc/cpuinfo");
  const flags = cpuinfo === undefined ? undefined : /^flags\s*:(.*)$/m.exec(cpuinfo)?.[1];
  const flagged = flags !== undefined && /(^|\s)hypervisor(\s|$)/.test(flags);
  if (cpuinfo === undefined) evidence.push({ source: "/proc/cpuinfo", found: "absent" });
  else if (flags === undefined) evidence.push({ source: "/proc/cpuinfo", found: "no x86 flags line" });
  else
    evidence.push({
      source: "/proc/cpuinfo",
      found: flagged ? "flags include hypervisor" : "flags without hypervisor",
    });

  const hints = findHints(files);
  const proven = flagged || hints.some((h) => h.proves);
  const named = hints.find((h) => h.proves) ?? hints[0];
  if (proven) {
    for (const hint of hints) evidence.push(hint.evidence);
    return { value: "virtual-machine", detected: true, hypervisor: named?.hypervisor ?? null, evidence };
  }
  // Nothing shows a guest: say what was looked at, and what the firmware calls itself.
  for (const hint of hints) evidence.push(hint.evidence);
  for (const file of ["sys_vendor", "product_name"]) {
    const value = files.line(`${DMI}/${file}`);
    if (value !== undefined && !hints.some((h) => h.evidence.source === `${DMI}/${file}`))
      evidence.push({ source: `${DMI}/${file}`, found: JSON.stringify(shorten(value)) });
  }
  if (!files.exists(DMI)) evidence.push({ source: DMI, found: "absent" });
  const value = flags === undefined ? "unknown" : "bare-metal";
  return { value, detected: false, hypervisor: null, evidence };
}

function findHints(files: SystemFiles): Hint[] {
  const hints: Hint[] = [];
  const type = files.line("/sys/hypervisor/type");
  if (type !== undefined)
    hints.push({
      hypervisor: type,
      proves: true,
      evidence: { source: "/sys/hypervisor/type", found: JSON.stringify(type) },
    });
  if (files.exists("/proc/xen"))
    hints.push({ hypervisor: "xen", proves: true, evidence: { source: "/proc/xen", found: "exists" } });
  const dmi = new Map<string, string>();
  for (const file of ["sys_vendor", "product_name", "bios_vendor"]) {
    const value = files.line(`${DMI}/${file}`);
    if (value !== undefined) dmi.set(file, value);
  }
  const dmiHint = (file: string, hypervisor: string, proves: boolean): Hint => ({
    hypervisor,
    proves,
    evidence: { source: `${DMI}/${file}`, found: JSON.stringify(shorten(dmi.get(file)!)) },
  });
  for (const [file, pattern, hypervisor] of DMI_GUESTS)
    if (pattern.test(dmi.get(file) ?? "")) hints.push(dmiHint(file, hypervisor, true));
  // Hyper-V's virtual firmware: Microsoft's vendor with the product "Virtual Machine" (a Surface says its own name).
  if (
    /^Microsoft Corporation/i.test(dmi.get("sys_vendor") ?? "") &&
    /^Virtual Machine/i.test(dmi.get("product_name") ?? "")
  )
    hints.push(dmiHint("product_name", "hyper-v", true));
  const clocks = files.line("/sys/devices/system/clocksource/clocksource0/available_clocksource");
  for (const [clock, hypervisor] of CLOCKSOURCES)
    if (clocks?.split(/\s+/).includes(clock))
      hints.push({
        hypervisor,
        proves: true,
        evidence: {
          source: "/sys/devices/system/clocksource/clocksource0/available_clocksource",
          found: `lists ${clock}`,
        },
      });
  const release = files.line("/proc/sys/kernel/osrelease");
  if (release !== undefined && /microsoft-standard/i.test(release))
    hints.push({
      hypervisor: "hyper-v",
      proves: true,
      evidence: { source: "/proc/sys/kernel/osrelease", found: `${JSON.stringify(release)} (a WSL2 kernel)` },
    });
  for (const [file, pattern, hypervisor] of DMI_CLOUDS)
    if (pattern.test(dmi.get(file) ?? "") && !hints.some((h) => h.evidence.source === `${DMI}/${file}`))
      hints.push(dmiHint(file, hypervisor, false));
  // The same fact seen twice (sys_vendor and product_name both VMware) is one hint per source.
  const seen = new Set<string>();
  return hints.filter((h) => !seen.has(h.evidence.source) && seen.add(h.evidence.source));
}
