import type { Evidence, Verdict } from "./EnvironmentReport.js";
import { shorten, type SystemFiles } from "./SystemFiles.js";

/** What a cgroup path of a container's processes contains, by engine (checked in this order). */
const CGROUP_SIGNS: ReadonlyArray<readonly [RegExp, string]> = [
  [/libpod|\/machine\.slice\/libpod/, "podman"],
  [/crio-|\/crio\//, "cri-o"],
  [/cri-containerd|\/containerd\//, "containerd"],
  [/\/docker[-/]|docker-[0-9a-f]{12,}\.scope/, "docker"],
  [/\/lxc(\.payload)?[./]/, "lxc"],
  [/kubepods/, "container"],
];

/** What the mounts of a container show (bind mounts of its hosts, hostname and resolv.conf files). */
const MOUNT_SIGNS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\/containers\/storage\/overlay-containers\//, "podman"],
  [/\/var\/lib\/docker\/containers\//, "docker"],
  [/\/var\/lib\/containerd\/|\/run\/containerd\//, "containerd"],
];

/** The `container` variable's values (set by podman, LXC, systemd-nspawn, and OCI runtimes), as engines. */
const CONTAINER_VARIABLE: Readonly<Record<string, string>> = {
  podman: "podman",
  docker: "docker",
  lxc: "lxc",
  "lxc-libvirt": "lxc",
  "systemd-nspawn": "systemd-nspawn",
  oci: "container",
};

const SERVICE_ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * Whether this process runs in a container, and which engine's: `/run/.containerenv` (podman),
 * `/.dockerenv` (docker), the `container` environment variable, the cgroup paths of PID 1 and
 * of this process (`/docker/<id>`, `kubepods`, `cri-containerd-`, `libpod-`, `/lxc/`), and the
 * sources of this process's mounts (`/var/lib/docker/containers/<id>/hostname`). The first
 * engine named wins, in that order; every sign found is evidence.
 */
export function detectContainer(files: SystemFiles): Verdict {
  const found: Array<{ engine: string; evidence: Evidence }> = [];
  const containerenv = files.text("/run/.containerenv");
  if (containerenv !== undefined) {
    const engine = /^engine="([^"]*)"/m.exec(containerenv)?.[1];
    found.push({
      engine: "podman",
      evidence: {
        source: "/run/.containerenv",
        found: engine ? `exists (engine ${JSON.stringify(engine)})` : "exists",
      },
    });
  }
  if (files.exists("/.dockerenv"))
    found.push({ engine: "docker", evidence: { source: "/.dockerenv", found: "exists" } });
  const variable = files.variable("container");
  if (variable !== undefined)
    found.push({
      engine: CONTAINER_VARIABLE[variable] ?? "container",
      evidence: { source: "env container", found: JSON.stringify(shorten(variable)) },
    });
  for (const file of ["/proc/1/cgroup", "/proc/self/cgroup"]) {
    const text = files.text(file) ?? "";
    for (const [pattern, engine] of CGROUP_SIGNS) {
      const line = text.split("\n").find((l) => pattern.test(l));
      if (line !== undefined) {
        found.push({ engine, evidence: { source: file, found: JSON.stringify(shorten(line)) } });
        break;
      }
    }
  }
  const mounts = files.text("/proc/self/mountinfo") ?? "";
  for (const [pattern, engine] of MOUNT_SIGNS) {
    const line = mounts.split("\n").find((l) => pattern.test(l));
    if (line !== undefined) {
      const root = line.split(" ")[3] ?? line;
      found.push({
        engine,
        evidence: { source: "/proc/self/mountinfo", found: `mounts ${JSON.stringify(shorten(root))}` },
      });
      break;
    }
  }
  if (found.length > 0 && !found.some((f) => /cgroup$|mountinfo$/.test(f.evidence.source))) {
    // Said so that a reader can weigh a marker file alone: a container in its own cgroup
    // namespace shows `/` too, but so does a machine whose root file system came from an image.
    const first = files.line("/proc/1/cgroup");
    found.push({
      engine: found[0]!.engine,
      evidence: {
        source: "/proc/1/cgroup",
        found: first === undefined ? "absent" : `no container's path (${JSON.stringify(shorten(first))})`,
      },
    });
  }
  if (found.length === 0)
    return {
      value: "none",
      detected: false,
      evidence: [
        { source: "/.dockerenv", found: "absent" },
        { source: "/run/.containerenv", found: "absent" },
        { source: "env container", found: "unset" },
        {
          source: "/proc/1/cgroup",
          found: files.exists("/proc/1/cgroup") ? "no container's cgroup" : "absent",
        },
      ],
    };
  return { value: found[0]!.engine, detected: true, evidence: found.map((f) => f.evidence) };
}

/**
 * Whether this process runs in a Kubernetes pod: the variables the kubelet sets in every
 * container (`KUBERNETES_SERVICE_HOST`), the service account mounted at
 * `/var/run/secrets/kubernetes.io/serviceaccount` (its `namespace` file names the namespace),
 * and a `kubepods` cgroup.
 */
export function detectKubernetes(files: SystemFiles): Verdict {
  const evidence: Evidence[] = [];
  const host = files.variable("KUBERNETES_SERVICE_HOST");
  if (host !== undefined)
    evidence.push({ source: "env KUBERNETES_SERVICE_HOST", found: JSON.stringify(shorten(host)) });
  if (files.exists(SERVICE_ACCOUNT)) {
    const namespace = files.line(`${SERVICE_ACCOUNT}/namespace`);
    evidence.push({
      source: SERVICE_ACCOUNT,
      found: namespace === undefined ? "exists" : `exists (namespace ${JSON.stringify(shorten(namespace))})`,
    });
  }
  for (const file of ["/proc/1/cgroup", "/proc/self/cgroup"]) {
    const line = (files.text(file) ?? "").split("\n").find((l) => l.includes("kubepods"));
    if (line !== undefined) {
      evidence.push({ source: file, found: JSON.stringify(shorten(line)) });
      break;
    }
  }
  if (evidence.length > 0) return { value: "pod", detected: true, evidence };
  return {
    value: "none",
    detected: false,
    evidence: [
      { source: "env KUBERNETES_SERVICE_HOST", found: "unset" },
      { source: SERVICE_ACCOUNT, found: "absent" },
    ],
  };
}
