import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { detectEnvironment, type DetectOptions } from "./detectEnvironment.js";
import type { Capability, EnvironmentReport, Verdict } from "./EnvironmentReport.js";

const made: string[] = [];
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

const BARE_CPUINFO =
  "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vme de pse tsc msr sse sse2\n";
const VM_CPUINFO =
  "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vme de pse tsc hypervisor sse2\n";
const HOST_CGROUP_V1 = "4:memory:/user.slice\n1:cpu,cpuacct:/user.slice\n0::/user.slice\n";

/** A fixture tree of `/proc` and `/sys` files: path (from `/`) to content; a trailing `/` makes a directory. */
function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "chipset-env-"));
  made.push(root);
  for (const [file, content] of Object.entries(files)) {
    const at = path.join(root, file);
    if (file.endsWith("/")) fs.mkdirSync(at, { recursive: true });
    else {
      fs.mkdirSync(path.dirname(at), { recursive: true });
      fs.writeFileSync(at, content);
    }
  }
  return root;
}

/** Detection on a fixture tree with a fixed machine: 8 CPUs, 16 GiB, one network card, no permission model. */
function detect(
  files: Record<string, string>,
  env: Record<string, string> = {},
  more: DetectOptions = {},
): EnvironmentReport {
  const root = tree(files);
  return detectEnvironment({
    root,
    env,
    dataDir: root,
    facts: {
      parallelism: 8,
      totalMemoryBytes: 16 * 1024 ** 3,
      interfaces: { lo: [], eth0: [{ address: "10.0.0.5", internal: false } as os.NetworkInterfaceInfo] },
      permission: undefined,
    },
    ...more,
  });
}

/** Every verdict and capability of `report` says what decided it. */
function expectEvidenceEverywhere(report: EnvironmentReport): void {
  for (const verdict of Object.values(report.verdicts) as Verdict[]) {
    expect(verdict.evidence.length).toBeGreaterThan(0);
    for (const e of verdict.evidence) expect(e.source !== "" && e.found !== "").toBe(true);
  }
  for (const capability of Object.values(report.capabilities) as Capability[])
    expect(capability.evidence.length).toBeGreaterThan(0);
}

const bare = {
  "/proc/cpuinfo": BARE_CPUINFO,
  "/proc/self/cgroup": HOST_CGROUP_V1,
  "/proc/1/cgroup": "0::/init.scope\n",
};

describe("detectEnvironment on fixtures of /proc and /sys", () => {
  it("says bare metal when cpuinfo has no hypervisor flag and the firmware is a real vendor's", () => {
    const report = detect({
      ...bare,
      "/sys/class/dmi/id/sys_vendor": "Dell Inc.\n",
      "/sys/class/dmi/id/product_name": "PowerEdge R650\n",
    });
    const { machine, container, kubernetes, wsl, serverless, ci } = report.verdicts;
    expect(machine).toMatchObject({ value: "bare-metal", detected: false, hypervisor: null });
    expect(machine.evidence).toContainEqual({ source: "/proc/cpuinfo", found: "flags without hypervisor" });
    expect(machine.evidence).toContainEqual({ source: "/sys/class/dmi/id/sys_vendor", found: '"Dell Inc."' });
    for (const v of [container, kubernetes, wsl, serverless, ci])
      expect(v).toMatchObject({ value: "none", detected: false });
    expectEvidenceEverywhere(report);
  });

  it("tells a bare-metal cloud machine from a guest: the cloud's vendor name alone proves nothing", () => {
    const report = detect({
      ...bare,
      "/sys/class/dmi/id/sys_vendor": "Amazon EC2\n",
      "/sys/class/dmi/id/product_name": "i3.metal\n",
    });
    expect(report.verdicts.machine.value).toBe("bare-metal");
  });

  it("finds a KVM guest from the hypervisor flag and the QEMU firmware", () => {
    const { machine } = detect({
      ...bare,
      "/proc/cpuinfo": VM_CPUINFO,
      "/sys/class/dmi/id/sys_vendor": "QEMU\n",
      "/sys/class/dmi/id/product_name": "Standard PC (Q35 + ICH9, 2009)\n",
      "/sys/class/dmi/id/bios_vendor": "SeaBIOS\n",
    }).verdicts;
    expect(machine).toMatchObject({ value: "virtual-machine", detected: true, hypervisor: "qemu" });
    expect(machine.evidence).toContainEqual({ source: "/proc/cpuinfo", found: "flags include hypervisor" });
  });

  it("finds KVM from its clock source where there is no DMI at all (a microVM such as Firecracker)", () => {
    const { machine } = detect({
      ...bare,
      "/proc/cpuinfo": VM_CPUINFO,
      "/sys/devices/system/clocksource/clocksource0/available_clocksource": "kvm-clock tsc acpi_pm \n",
    }).verdicts;
    expect(machine).toMatchObject({ value: "virtual-machine", hypervisor: "kvm" });
    expect(machine.evidence).toContainEqual({
      source: "/sys/devices/system/clocksource/clocksource0/available_clocksource",
      found: "lists kvm-clock",
    });
  });

  it("finds VMware, Hyper-V and Xen guests by their own signs", () => {
    const vmware = detect({
      ...bare,
      "/proc/cpuinfo": VM_CPUINFO,
      "/sys/class/dmi/id/sys_vendor": "VMware, Inc.\n",
      "/sys/class/dmi/id/product_name": "VMware Virtual Platform\n",
    });
    expect(vmware.verdicts.machine).toMatchObject({ value: "virtual-machine", hypervisor: "vmware" });
    const hyperv = detect({
      ...bare,
      "/proc/cpuinfo": VM_CPUINFO,
      "/sys/class/dmi/id/sys_vendor": "Microsoft Corporation\n",
      "/sys/class/dmi/id/product_name": "Virtual Machine\n",
    });
    expect(hyperv.verdicts.machine).toMatchObject({ value: "virtual-machine", hypervisor: "hyper-v" });
    expect(hyperv.verdicts.machine.evidence).toContainEqual({
      source: "/sys/class/dmi/id/product_name",
      found: '"Virtual Machine"',
    });
    // A paravirtualised Xen guest: no hypervisor flag needed, /sys/hypervisor says so.
    const xen = detect({ ...bare, "/sys/hypervisor/type": "xen\n", "/proc/xen/": "" });
    expect(xen.verdicts.machine).toMatchObject({ value: "virtual-machine", hypervisor: "xen" });
    expect(xen.verdicts.machine.evidence).toContainEqual({ source: "/proc/xen", found: "exists" });
  });

  it("finds a docker container from /.dockerenv and its cgroup path", () => {
    const { container } = detect({
      ...bare,
      "/.dockerenv": "",
      "/proc/1/cgroup": "12:pids:/docker/3f2a9c1d7e5b\n0::/\n",
    }).verdicts;
    expect(container).toMatchObject({ value: "docker", detected: true });
    expect(container.evidence).toEqual([
      { source: "/.dockerenv", found: "exists" },
      { source: "/proc/1/cgroup", found: '"12:pids:/docker/3f2a9c1d7e5b"' },
    ]);
  });

  it("says when /.dockerenv is the only sign and the cgroups show no container", () => {
    const { container } = detect({ ...bare, "/.dockerenv": "" }).verdicts;
    expect(container.value).toBe("docker");
    expect(container.evidence).toContainEqual({
      source: "/proc/1/cgroup",
      found: `no container's path ("0::/init.scope")`,
    });
  });

  it("finds podman from /run/.containerenv and the container variable", () => {
    const { container } = detect(
      { ...bare, "/run/.containerenv": 'engine="podman-4.9.3"\n' },
      { container: "podman" },
    ).verdicts;
    expect(container).toMatchObject({ value: "podman", detected: true });
    expect(container.evidence).toContainEqual({
      source: "/run/.containerenv",
      found: 'exists (engine "podman-4.9.3")',
    });
    expect(container.evidence).toContainEqual({ source: "env container", found: '"podman"' });
  });

  it("finds a Kubernetes pod from the kubelet's variables, the service account and the kubepods cgroup", () => {
    const report = detect(
      {
        ...bare,
        "/proc/1/cgroup": "0::/kubepods.slice/kubepods-burstable.slice/cri-containerd-8f1e.scope\n",
        "/var/run/secrets/kubernetes.io/serviceaccount/namespace": "payments\n",
      },
      { KUBERNETES_SERVICE_HOST: "10.96.0.1" },
    );
    expect(report.verdicts.kubernetes.value).toBe("pod");
    expect(report.verdicts.kubernetes.evidence).toEqual([
      { source: "env KUBERNETES_SERVICE_HOST", found: '"10.96.0.1"' },
      { source: "/var/run/secrets/kubernetes.io/serviceaccount", found: 'exists (namespace "payments")' },
      {
        source: "/proc/1/cgroup",
        found: '"0::/kubepods.slice/kubepods-burstable.slice/cri-containerd-8f1e.scope"',
      },
    ]);
    expect(report.verdicts.container.value).toBe("containerd");
  });

  it("finds WSL2 (a Hyper-V guest) from the kernel's release and WSL_DISTRO_NAME", () => {
    const report = detect(
      {
        ...bare,
        "/proc/cpuinfo": VM_CPUINFO,
        "/proc/sys/kernel/osrelease": "5.15.153.1-microsoft-standard-WSL2\n",
      },
      { WSL_DISTRO_NAME: "Ubuntu" },
    );
    expect(report.verdicts.wsl).toMatchObject({ value: "wsl2", detected: true });
    expect(report.verdicts.wsl.evidence).toContainEqual({ source: "env WSL_DISTRO_NAME", found: '"Ubuntu"' });
    expect(report.verdicts.machine).toMatchObject({ value: "virtual-machine", hypervisor: "hyper-v" });
  });

  it("finds AWS Lambda and GitHub Actions from the variables they set", () => {
    const lambda = detect(bare, {
      AWS_LAMBDA_FUNCTION_NAME: "resize-images",
      AWS_EXECUTION_ENV: "AWS_Lambda_nodejs20.x",
    });
    expect(lambda.verdicts.serverless).toEqual({
      value: "aws-lambda",
      detected: true,
      evidence: [{ source: "env AWS_LAMBDA_FUNCTION_NAME", found: '"resize-images"' }],
    });
    const actions = detect(bare, { CI: "true", GITHUB_ACTIONS: "true" });
    expect(actions.verdicts.ci).toMatchObject({
      value: "github-actions",
      evidence: [{ source: "env GITHUB_ACTIONS", found: '"true"' }],
    });
    expect(detect(bare, { CI: "false" }).verdicts.ci.value).toBe("none");
  });
});

describe("the capability matrix and adapted defaults on fixtures", () => {
  const v2 = (cpuMax: string, memoryMax: string): Record<string, string> => ({
    ...bare,
    "/proc/self/cgroup": "0::/app.slice/app.service\n",
    "/sys/fs/cgroup/cgroup.controllers": "cpu memory pids\n",
    "/sys/fs/cgroup/app.slice/app.service/cpu.max": `${cpuMax}\n`,
    "/sys/fs/cgroup/app.slice/app.service/memory.max": `${memoryMax}\n`,
  });

  it('reads cgroup v2 cpu.max "200000 100000" as 2 CPUs and memory.max as the memory limit, and adapts to them', () => {
    const report = detect(v2("200000 100000", String(1024 * 1024 * 1024)));
    const { cpu, memory } = report.capabilities;
    expect(cpu).toMatchObject({ cpus: 2, parallelism: 8, cgroupCpus: 2 });
    expect(cpu.evidence).toContainEqual({
      source: "/sys/fs/cgroup/app.slice/app.service/cpu.max",
      found: '"200000 100000"',
    });
    expect(memory).toMatchObject({ cgroupLimitBytes: 1024 ** 3, limitBytes: 1024 ** 3 });
    expect(report.defaults.replicasMax).toEqual({
      setting: "replicas.max",
      value: 2,
      source: "adapted",
      why: "cgroup cpu.max allows 2 CPUs",
    });
    expect(report.defaults.memoryMb).toMatchObject({
      value: 512,
      source: "adapted",
      why: "cgroup memory limit 1024 MiB: one module may use half of it",
    });
  });

  it('reads "max" as no limit: the machine\'s CPUs and memory stand', () => {
    const report = detect(v2("max 100000", "max"));
    expect(report.capabilities.cpu).toMatchObject({ cpus: 8, cgroupCpus: null });
    expect(report.capabilities.cpu.evidence).toContainEqual({
      source: "/sys/fs/cgroup/app.slice/app.service/cpu.max",
      found: '"max 100000" (no limit)',
    });
    expect(report.capabilities.memory.cgroupLimitBytes).toBeNull();
    expect(report.defaults.replicasMax).toMatchObject({
      value: 8,
      why: "8 CPUs available (os.availableParallelism)",
    });
    expect(report.defaults.poolWorker).toMatchObject({ value: 2, source: "adapted" });
    expect(report.defaults.memoryMb).toMatchObject({ value: null, source: "default" });
  });

  it("takes a parent cgroup's tighter limit, and reads cgroup v1 quotas", () => {
    const nested = detect({
      ...v2("max 100000", "max"),
      "/sys/fs/cgroup/app.slice/cpu.max": "50000 100000\n",
    });
    expect(nested.capabilities.cpu.cpus).toBe(0.5);
    expect(nested.defaults.replicasMax.value).toBe(1);
    expect(nested.defaults.poolProcess).toMatchObject({ value: 0, source: "adapted" });
    const v1 = detect({
      ...bare,
      "/proc/self/cgroup": "4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n",
      "/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "150000\n",
      "/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n",
      "/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": String(256 * 1024 * 1024),
    });
    expect(v1.capabilities.cpu.cgroupCpus).toBe(1.5);
    expect(v1.defaults.replicasMax).toMatchObject({
      value: 1,
      why: "cgroup cpu.cfs_quota_us allows 1.5 CPUs",
    });
    expect(v1.defaults.poolProcess).toMatchObject({
      value: 0,
      why: expect.stringMatching(/256 MiB is under 512 MiB/) as string,
    });
  });

  it("lets explicit configuration win over every adapted default", () => {
    const report = detect(
      v2("100000 100000", String(1024 ** 3)),
      {},
      {
        explicit: { poolWorker: 3, poolProcess: 2, replicasMax: 6, memoryMb: 900 },
      },
    );
    for (const [key, value] of [
      ["poolWorker", 3],
      ["poolProcess", 2],
      ["replicasMax", 6],
      ["memoryMb", 900],
    ] as const)
      expect(report.defaults[key]).toMatchObject({ value, source: "explicit" });
  });

  it("falls back to worker threads, and keeps no blank process, where the permission model forbids children", () => {
    const report = detect(
      bare,
      {},
      {
        facts: { parallelism: 2, permission: { has: (scope: string) => scope !== "child" } },
      },
    );
    expect(report.capabilities.childProcesses).toMatchObject({
      available: false,
      detail: "the permission model forbids child processes",
    });
    expect(report.capabilities.permissionModel.active).toBe(true);
    expect(report.defaults.processIsolation).toMatchObject({ value: "worker", source: "adapted" });
    expect(report.defaults.poolProcess).toMatchObject({ value: 0, source: "adapted" });
  });

  it("counts a pids limit that is used up against threads and processes alike", () => {
    const report = detect({
      ...v2("max 100000", "max"),
      "/sys/fs/cgroup/app.slice/app.service/pids.max": "40\n",
      "/sys/fs/cgroup/app.slice/app.service/pids.current": "40\n",
    });
    expect(report.capabilities.threads).toMatchObject({
      available: false,
      detail: "no thread can start: cgroup pids.max 40 (40 in use)",
    });
    expect(report.capabilities.childProcesses.available).toBe(false);
    expect(report.defaults.poolWorker.value).toBe(0);
  });

  it("reports the network as loopback only when no other interface exists", () => {
    const report = detect(
      bare,
      {},
      {
        facts: { interfaces: { lo: [{ address: "127.0.0.1", internal: true } as os.NetworkInterfaceInfo] } },
      },
    );
    expect(report.capabilities.network).toMatchObject({
      available: false,
      detail: "loopback only",
      interfaces: [],
    });
  });
});

describe("detectEnvironment on this machine", () => {
  it("finds threads, a usable Node and a writable temp directory, each verdict with its evidence", () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "chipset-env-data-"));
    made.push(dataDir);
    const report = detectEnvironment({ dataDir, trySpawn: true });
    expect(report.capabilities.threads.available).toBe(true);
    expect(report.capabilities.childProcesses).toMatchObject({ available: true, tried: true });
    expect(report.capabilities.disk).toMatchObject({ available: true, path: dataDir });
    expect(report.capabilities.cpu.parallelism).toBe(os.availableParallelism());
    expect(report.defaults.replicasMax.value).toBeGreaterThanOrEqual(1);
    expectEvidenceEverywhere(report);
    // The machine verdict agrees with the cpuinfo flag, read here on its own.
    const cpuinfo = fs.existsSync("/proc/cpuinfo") ? fs.readFileSync("/proc/cpuinfo", "utf8") : "";
    if (/^flags\s*:.*\bhypervisor\b/m.test(cpuinfo))
      expect(report.verdicts.machine.value).toBe("virtual-machine");
  });
});
