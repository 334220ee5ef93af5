/**
 * The JSON schema of `GET /v1/environment`: the shape of `EnvironmentReport`
 * (src/environment/EnvironmentReport.ts), as docs/environment.md describes it.
 */

const evidence = {
  type: "array",
  description: "what decided it: a file and what it held, or an environment variable; never empty",
  items: {
    type: "object",
    properties: {
      source: { type: "string", description: "a path (`/proc/cpuinfo`) or `env NAME`" },
      found: { type: "string", description: "what was there, or `absent`" },
    },
    required: ["source", "found"],
  },
} as const;

const verdict = (values: string) =>
  ({
    type: "object",
    properties: {
      value: { type: "string", description: values },
      detected: { type: "boolean" },
      evidence,
    },
    required: ["value", "detected", "evidence"],
  }) as const;

const capabilityFields = {
  available: { type: "boolean" },
  detail: { type: "string", description: "the limit found, or why it is missing" },
  evidence,
} as const;

const capability = (extra: Record<string, object> = {}) =>
  ({
    type: "object",
    properties: { ...capabilityFields, ...extra },
    required: ["available", "detail", "evidence", ...Object.keys(extra)],
  }) as const;

const nullableNumber = (description: string) => ({ type: ["number", "null"], description }) as const;

const adapted = (value: object) =>
  ({
    type: "object",
    properties: {
      setting: { type: "string" },
      value,
      source: { type: "string", enum: ["explicit", "adapted", "default"] },
      why: { type: "string" },
    },
    required: ["setting", "value", "source", "why"],
  }) as const;

/** `EnvironmentReport`: verdicts with evidence, the capability matrix, the adapted defaults. */
export const environmentReportSchema = {
  type: "object",
  description: "What the host runs on, what it can do here, and the defaults adapted to it",
  properties: {
    at: { type: "number", description: "when detected, ms since the epoch" },
    node: { type: "string" },
    platform: { type: "string" },
    arch: { type: "string" },
    verdicts: {
      type: "object",
      properties: {
        machine: {
          type: "object",
          properties: {
            ...verdict("bare-metal, virtual-machine or unknown").properties,
            hypervisor: {
              type: ["string", "null"],
              description: "kvm, vmware, hyper-v, xen, ...; null if not told",
            },
          },
          required: ["value", "detected", "evidence", "hypervisor"],
        },
        container: verdict("docker, podman, containerd, cri-o, lxc, systemd-nspawn, container, or none"),
        kubernetes: verdict("pod or none"),
        wsl: verdict("wsl1, wsl2 or none"),
        serverless: verdict(
          "aws-lambda, azure-functions, google-cloud-run, google-cloud-functions, vercel, netlify, or none",
        ),
        ci: verdict(
          "github-actions, gitlab-ci, circleci, jenkins, buildkite, azure-pipelines, travis, ci, or none",
        ),
      },
      required: ["machine", "container", "kubernetes", "wsl", "serverless", "ci"],
    },
    capabilities: {
      type: "object",
      properties: {
        threads: capability(),
        childProcesses: capability({ tried: { type: "boolean" } }),
        permissionModel: capability({ flag: { type: ["string", "null"] }, active: { type: "boolean" } }),
        cpu: capability({
          cpus: { type: "number", description: "CPUs usable, the cgroup quota applied" },
          parallelism: { type: "number", description: "os.availableParallelism()" },
          cgroupCpus: nullableNumber("the cgroup's CPU quota in CPUs; null: none"),
        }),
        memory: capability({
          totalBytes: { type: "number" },
          cgroupLimitBytes: nullableNumber("the cgroup's memory limit; null: none"),
          limitBytes: { type: "number" },
        }),
        disk: capability({
          path: { type: "string" },
          freeBytes: nullableNumber("free bytes; null if unknown"),
        }),
        network: capability({ interfaces: { type: "array", items: { type: "string" } } }),
      },
      required: ["threads", "childProcesses", "permissionModel", "cpu", "memory", "disk", "network"],
    },
    defaults: {
      type: "object",
      properties: {
        poolWorker: adapted({ type: "number" }),
        poolProcess: adapted({ type: "number" }),
        replicasMax: adapted({ type: "number" }),
        memoryMb: adapted({ type: ["number", "null"] }),
        processIsolation: adapted({ type: "string", enum: ["process", "worker"] }),
      },
      required: ["poolWorker", "poolProcess", "replicasMax", "memoryMb", "processIsolation"],
    },
  },
  required: ["at", "node", "platform", "arch", "verdicts", "capabilities", "defaults"],
} as const;
