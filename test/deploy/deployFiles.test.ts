import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { Script } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { DEFAULT_LISTEN } from "../../src/server/listenAddress.js";
import { chipset, closedPort, collect, spawnCli, tempDir, waitForOutput } from "../cli/harness.js";

// The deployment files are checked against the code, since no Docker engine or cluster runs
// here: every path, port and flag they use must be one the host really has.

const root = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

/** One Dockerfile instruction: its keyword, its arguments (continuations joined) and its stage. */
interface Instruction {
  keyword: string;
  args: string;
  stage: string;
}

function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let stage = "";
  const logical = text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  for (const line of logical) {
    const [, keyword = "", args = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === "FROM") stage = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? args;
    out.push({ keyword: keyword.toUpperCase(), args: args.replace(/\s+/g, " "), stage });
  }
  return out;
}

const docker = parseDockerfile(read("deploy/Dockerfile"));
const stages = [...new Set(docker.filter((i) => i.keyword === "FROM").map((i) => i.stage))];
const final = stages.at(-1)!;
const inFinal = (keyword: string) => docker.filter((i) => i.stage === final && i.keyword === keyword);
const execForm = (keyword: string) => JSON.parse(inFinal(keyword).at(-1)!.args) as string[];
const cmd = execForm("CMD");
const entrypoint = execForm("ENTRYPOINT");

const k8s = parseAllDocuments(read("deploy/k8s/chipset.yaml")).map((d) => d.toJS() as K8sObject);
interface K8sObject {
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown>;
}
const byKind = (kind: string) => k8s.find((o) => o.kind === kind)!;
interface Probe {
  httpGet: { path: string; port: string | number };
}
interface Container {
  args: string[];
  ports: Array<{ name: string; containerPort: number }>;
  startupProbe: Probe;
  livenessProbe: Probe;
  readinessProbe: Probe;
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  volumeMounts: Array<{ name: string; mountPath: string }>;
}
interface PodSpec {
  containers: Container[];
  volumes: Array<{
    name: string;
    persistentVolumeClaim?: { claimName: string };
    secret?: { secretName: string; items: Array<{ key: string; path: string }> };
  }>;
  securityContext: { runAsNonRoot: boolean; runAsUser: number };
}
const pod = (byKind("Deployment").spec as { template: { spec: PodSpec } }).template.spec;
const container = pod.containers[0]!;

/** The value following `flag` in `args`. */
function valueOf(args: readonly string[], flag: string): string {
  const i = args.indexOf(flag);
  expect(i, `${flag} in ${args.join(" ")}`).toBeGreaterThanOrEqual(0);
  return args[i + 1]!;
}
const portOf = (listen: string) => Number(listen.split(":").at(-1));

describe("deploy/Dockerfile", () => {
  it("builds in one stage and runs in another, from files the repository has", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = docker.filter((i) => i.stage === stages[0]);
    expect(build.some((i) => i.keyword === "RUN" && i.args.includes("npm ci"))).toBe(true);
    expect(build.some((i) => i.keyword === "RUN" && /npm run build/.test(i.args))).toBe(true);
    for (const copy of docker.filter((i) => i.keyword === "COPY" && !i.args.startsWith("--from"))) {
      for (const source of copy.args.split(" ").slice(0, -1))
        expect(existsSync(new URL(source, root)), `COPY ${source}`).toBe(true);
    }
    const ignored = read(".dockerignore").split("\n");
    expect(ignored).toEqual(expect.arrayContaining(["node_modules", "dist"]));
  });

  it("runs as a user without rights, with the data directory on a volume and the API's port exposed", () => {
    const user = inFinal("USER").at(-1)?.args;
    expect(user).toBeDefined();
    expect(["root", "0"]).not.toContain(user);
    expect(inFinal("VOLUME").map((i) => i.args)).toContain(valueOf(cmd, "--data-dir"));
    expect(inFinal("EXPOSE").map((i) => Number(i.args))).toEqual([portOf(valueOf(cmd, "--http"))]);
    expect(portOf(valueOf(cmd, "--http"))).toBe(portOf(DEFAULT_LISTEN));
    // The image runs the CLI the build stage compiled.
    expect(entrypoint.slice(-2)).toEqual(["node", "/app/dist/cli/main.js"]);
  });

  it("checks its health with a node script that requests /livez on the exposed port", () => {
    const [node, flag, script] = JSON.parse(
      inFinal("HEALTHCHECK")[0]!.args.replace(/^.*?CMD /, ""),
    ) as string[];
    expect([node, flag]).toEqual(["node", "-e"]);
    expect(() => new Script(script!)).not.toThrow();
    expect(script).toContain(`http://127.0.0.1:${portOf(valueOf(cmd, "--http"))}/livez`);
  });
});

describe("deploy/k8s/chipset.yaml", () => {
  it("runs the image's command line, on the port its probes and its Service use", () => {
    expect(container.args).toEqual(cmd);
    const port = container.ports.find((p) => p.name === "http")!;
    expect(port.containerPort).toBe(portOf(valueOf(container.args, "--http")));
    for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe])
      expect(probe.httpGet.port).toBe("http");
    const service = byKind("Service").spec as { ports: Array<{ port: number; targetPort: string }> };
    expect(service.ports[0]).toMatchObject({ port: port.containerPort, targetPort: "http" });
  });

  it("keeps the data directory on a claimed volume and reads the token from the Secret's mount", () => {
    const mountOf = (volume: string) => container.volumeMounts.find((m) => m.name === volume)!.mountPath;
    const data = pod.volumes.find((v) => v.persistentVolumeClaim !== undefined)!;
    expect(mountOf(data.name)).toBe(valueOf(container.args, "--data-dir"));
    expect(byKind("PersistentVolumeClaim").metadata.name).toBe(data.persistentVolumeClaim!.claimName);
    const token = pod.volumes.find((v) => v.secret !== undefined)!;
    const tokenFile = valueOf(container.args, "--token-file");
    expect(mountOf(token.name)).toBe(dirname(tokenFile));
    expect(token.secret!.items.map((i) => i.path)).toContain(basename(tokenFile));
  });

  it("runs without root, with resource requests and limits", () => {
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).not.toBe(0);
    expect(Object.keys(container.resources.limits).sort()).toEqual(["cpu", "memory"]);
    expect(Object.keys(container.resources.requests).sort()).toEqual(["cpu", "memory"]);
  });
});

describe("the deployment files against the real host", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let host: ChildProcess | undefined;
  let url = "";

  beforeAll(async () => {
    tmp = await tempDir("deploy");
    await writeFile(join(tmp.dir, "token"), "a-token-of-at-least-16-characters");
    // The image's command line as it is, but on loopback and a free port, with the test's paths.
    const args = cmd.map((word) =>
      word === valueOf(cmd, "--http")
        ? "127.0.0.1:0"
        : word === valueOf(cmd, "--data-dir")
          ? join(tmp.dir, "data")
          : word === valueOf(cmd, "--token-file")
            ? join(tmp.dir, "token")
            : word,
    );
    host = spawnCli(args, { cwd: tmp.dir });
    const boot = await waitForOutput(host, /chipset is running/);
    url = /HTTP API at (\S+)/.exec(boot)![1]!;
  });
  afterAll(async () => {
    if (host?.exitCode === null) {
      const ended = collect(host);
      host.kill("SIGTERM");
      await ended;
    }
    await tmp.cleanup();
  });

  it("accepts every flag the image and the Deployment pass", async () => {
    const help = (await chipset(["--help"])).stdout + (await chipset(["start", "--help"])).stdout;
    for (const flag of [...cmd, ...container.args].filter((w) => w.startsWith("--")))
      expect(help, `chipset has no ${flag}`).toContain(`${flag} `);
  });

  it("serves the paths the probes request", async () => {
    for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe]) {
      const res = await fetch(`${url}${probe.httpGet.path}`);
      expect(res.status, probe.httpGet.path).toBe(200);
    }
  });

  it("passes the image's health check, which fails when nothing answers", async () => {
    const [, , script] = JSON.parse(inFinal("HEALTHCHECK")[0]!.args.replace(/^.*?CMD /, "")) as string[];
    const run = async (port: number) =>
      (
        await collect(
          spawn(process.execPath, ["-e", script!.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${port}`)]),
        )
      ).code;
    expect(await run(Number(new URL(url).port))).toBe(0);
    expect(await run(await closedPort())).toBe(1);
  });
});
