import { spawnSync } from "node:child_process";
import { describe, expect, it, vi } from "vitest";
import { hostHarness } from "./harness.js";

const h = hostHarness();

/** One sample line of the exposition format. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The samples of `name` whose labels include `labels`. */
function find(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}

/** The value of the one sample of `name` with `labels`; fails when there is none or several. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = find(samples, name, labels);
  expect(found, `${name}${JSON.stringify(labels)}`).toHaveLength(1);
  return found[0]!.value;
}

async function scrape(): Promise<{ text: string; samples: Sample[]; type: string | null }> {
  const res = await h.request("/metrics");
  expect(res.status).toBe(200);
  const text = await res.text();
  return { text, samples: parse(text), type: res.headers.get("content-type") };
}

const BURNER = `export const module = defineModule({ api: {
  burn(ms) { const end = Date.now() + ms; let x = 0; while (Date.now() < end) x += Math.sqrt(x + 1); return x > 0; },
} });`;

const hasPromtool = spawnSync("promtool", ["--version"]).status === 0;

describe("GET /metrics", () => {
  it("counts exactly the calls made, by module, method and outcome, with as many durations", async () => {
    const { rt } = await h.echoHost();
    for (let i = 0; i < 7; i++) await rt.call("svc", "echo", [i]);
    for (let i = 0; i < 3; i++) await expect(rt.call("svc", "nope", [])).rejects.toThrow(/no method "nope"/);
    await expect(rt.call("ghost", "echo", [])).rejects.toThrow();
    const { samples, type } = await scrape();
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(value(samples, "chipset_calls_total", { module: "svc", method: "echo", outcome: "ok" })).toBe(7);
    expect(value(samples, "chipset_call_duration_seconds_count", { module: "svc", method: "echo" })).toBe(7);
    expect(
      value(samples, "chipset_call_duration_seconds_bucket", { module: "svc", method: "echo", le: "+Inf" }),
    ).toBe(7);
    expect(
      value(samples, "chipset_call_duration_seconds_sum", { module: "svc", method: "echo" }),
    ).toBeGreaterThan(0);
    // A method the module does not have, and a module nobody registered, make no series of their own.
    expect(
      value(samples, "chipset_calls_total", { module: "svc", method: "(unknown)", outcome: "not-found" }),
    ).toBe(3);
    expect(
      value(samples, "chipset_calls_total", {
        module: "(unknown)",
        method: "(unknown)",
        outcome: "not-found",
      }),
    ).toBe(1);
    expect(samples.filter((s) => s.labels["method"] === "nope" || s.labels["module"] === "ghost")).toEqual(
      [],
    );
  });

  it("says each module's state, its CPU, memory and restarts, the process's defaults and the machine", async () => {
    const { rt } = await h.echoHost();
    h.ws.module({ name: "burner", chipset: { isolation: "worker" }, code: BURNER });
    rt.scan([h.ws.modulesDir]);
    await rt.call("burner", "burn", [50]);
    // A worker's heap comes with its first heartbeat.
    await vi.waitFor(() => expect(rt.resources.usage("burner")[0]?.usage.heapUsed).toBeGreaterThan(0), {
      timeout: 10_000,
    });
    const { samples } = await scrape();
    const svc = { module: "svc", version: "1.0.0" };
    expect(value(samples, "chipset_module_state", { ...svc, state: "running" })).toBe(1);
    expect(value(samples, "chipset_module_state", { ...svc, state: "stopped" })).toBe(0);
    expect(find(samples, "chipset_module_state", svc)).toHaveLength(8);
    expect(value(samples, "chipset_module_restarts_total", svc)).toBe(0);
    const burner = { module: "burner", version: "1.0.0", host: "worker" };
    expect(value(samples, "chipset_module_cpu_seconds_total", burner)).toBeGreaterThan(0);
    expect(value(samples, "chipset_module_memory_bytes", { ...burner, type: "heap_used" })).toBeGreaterThan(
      0,
    );
    expect(
      value(samples, "chipset_module_fs_bytes_total", { ...burner, direction: "write" }),
    ).toBeGreaterThanOrEqual(0);
    expect(find(samples, "chipset_module_network_bytes_total", burner)).toHaveLength(2);
    // No pid or thread id among the labels: a restart must not make new series.
    for (const s of samples.filter((s) => s.name.startsWith("chipset_module_")))
      expect(Object.keys(s.labels).filter((k) => /pid|thread/.test(k))).toEqual([]);
    expect(value(samples, "chipset_system_memory_available_bytes")).toBeGreaterThan(0);
    expect(value(samples, "chipset_system_load1")).toBeGreaterThanOrEqual(0);
    expect(value(samples, "chipset_system_disk_free_bytes")).toBeGreaterThan(0);
    expect(value(samples, "process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(find(samples, "nodejs_heap_size_used_bytes")).toHaveLength(1);
  });

  it("keeps a module's CPU seconds from going down when the module is loaded again", async () => {
    const { rt } = await h.echoHost();
    h.ws.module({ name: "burner", chipset: { isolation: "worker" }, code: BURNER });
    rt.scan([h.ws.modulesDir]);
    await rt.call("burner", "burn", [300]);
    // The thread's CPU time as the kernel counts it, in ticks (how much depends on the machine's load).
    await vi.waitFor(() => expect(rt.resources.usage("burner")[0]!.usage.cpuUs).toBeGreaterThan(0), {
      timeout: 10_000,
    });
    const labels = { module: "burner", version: "1.0.0", host: "worker" };
    const before = value((await scrape()).samples, "chipset_module_cpu_seconds_total", labels);
    expect(before).toBeGreaterThan(0);
    await rt.unload("burner");
    await rt.call("burner", "burn", [1]);
    // The new worker counts from zero: the total adds its seconds to the first one's.
    const fresh = (rt.resources.usage("burner")[0]!.usage.cpuUs ?? 0) / 1e6;
    const after = value((await scrape()).samples, "chipset_module_cpu_seconds_total", labels);
    expect(after).toBeGreaterThanOrEqual(before + fresh);
  });

  it("shows the breakers and their states", async () => {
    const { rt } = await h.echoHost();
    await rt.call("svc", "echo", [1]);
    const isolation = rt.policies.isolate("svc");
    const { samples } = await scrape();
    expect(value(samples, "chipset_breaker_state", { module: "svc", method: "*", state: "isolated" })).toBe(
      1,
    );
    expect(value(samples, "chipset_breaker_state", { module: "svc", method: "*", state: "closed" })).toBe(0);
    isolation.dispose();
  });

  it("needs the host's token, unless served as public", async () => {
    await h.echoHost({ start: false });
    const refused = await h.request("/metrics", { headers: { authorization: "" } });
    expect(refused.status).toBe(401);
    await refused.body?.cancel();
  });

  it("is served without a token when metrics are public, and not at all when off", async () => {
    const rt = h.open();
    await h.serve(rt, { metrics: { public: true } });
    const open = await h.request("/metrics", { headers: { authorization: "" } });
    expect(open.status).toBe(200);
    expect(await open.text()).toContain("# TYPE chipset_calls_total counter");
    await h.serve(rt, { metrics: false });
    const off = await h.request("/metrics");
    expect(off.status).toBe(404);
    await off.body?.cancel();
  });

  it.skipIf(!hasPromtool)("passes promtool check metrics", async () => {
    const { rt } = await h.echoHost();
    h.ws.module({ name: "burner", chipset: { isolation: "worker" }, code: BURNER });
    rt.scan([h.ws.modulesDir]);
    await rt.call("svc", "echo", [1]);
    await rt.call("burner", "burn", [1]);
    await expect(rt.call("svc", "nope", [])).rejects.toThrow();
    const { text } = await scrape();
    const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(check.stdout + check.stderr).toBe("");
    expect(check.status).toBe(0);
  });
});
