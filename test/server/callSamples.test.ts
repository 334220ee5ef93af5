// Calls beside the resources in every sample (issue 15's charts and live table): the calls an
// instance served over the interval, its version's failures and p99, stored in the history,
// answered by GET /v1/modules/{ref}/resources, and pushed once per round as `resources.sampled`.
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/common/Clock.js";
import type { ResourcesSampled } from "../../src/resources/ResourceEvents.js";
import type { ResourcePoint } from "../../src/resources/ResourcePoint.js";
import { TOKEN, hostHarness } from "./harness.js";
import { SseClient } from "./sseClient.js";

const h = hostHarness();

/** `held()` answers once `release()` is called: a call whose latency the test sets on its clock. */
const SERVICE = `let pending = [];
export const module = defineModule({ api: {
  quick() { return true; },
  fail() { throw new Error("asked to fail"); },
  held() { return new Promise((resolve) => pending.push(resolve)); },
  release() { for (const resolve of pending.splice(0)) resolve(true); return true; },
} });`;

describe("calls in the resource samples", () => {
  it("each round's samples carry the calls of the interval, the failures and the p99 latency, and the history keeps them", async () => {
    h.ws.module({ name: "svc", code: SERVICE });
    const clock = new ManualClock();
    const since = clock.wallNow();
    const rt = h.open({ clock, resources: { sampleMs: 1000 } });
    const rounds: ResourcesSampled[] = [];
    rt.on("resources.sampled", (e) => rounds.push(e));
    await rt.start();
    await rt.call("svc", "quick"); // loads it
    rt.resources.sampleNow(); // the first reading: where the first interval starts
    expect(rounds).toEqual([]);

    for (let i = 0; i < 3; i++) await rt.call("svc", "quick");
    await expect(rt.call("svc", "fail")).rejects.toThrow("asked to fail");
    const held = rt.call("svc", "held");
    clock.advance(40);
    await rt.call("svc", "release");
    await held;
    clock.advance(960); // the sampler's round, one second after the first reading

    expect(rounds).toHaveLength(1);
    expect(rounds[0]!.at).toBe(since + 1000);
    expect(rounds[0]!.samples).toEqual([
      expect.objectContaining({ id: "svc", version: "1.0.0", at: since + 1000, intervalMs: 1000 }),
    ]);
    // quick x3, fail, held and release; of the five that succeeded, one took 40 ms.
    expect(rounds[0]!.samples[0]).toMatchObject({ calls: 6, failures: 1, p99Ms: 40 });

    clock.advance(1000); // a quiet second
    expect(rounds).toHaveLength(2);
    expect(rounds[1]!.samples[0]).toMatchObject({ calls: 0, failures: 0, p99Ms: null });

    const history = rt.resources.history("svc", { since });
    expect(history.map((p) => [p.resolution, p.calls, p.failures, p.p99Ms, p.p99MsMax])).toEqual([
      ["raw", 6, 1, 40, 40],
      ["raw", 0, 0, null, null],
    ]);

    await h.serve(rt);
    const { status, body } = await h.get<{ points: ResourcePoint[] }>(
      `/v1/modules/svc/resources?since=${since}`,
    );
    expect(status).toBe(200);
    expect(body.points.map((p) => [p.calls, p.failures, p.p99Ms, p.p99MsMax])).toEqual([
      [6, 1, 40, 40],
      [0, 0, null, null],
    ]);
  });

  it("streams resources.sampled on GET /v1/events, one event per round with every sampled module", async () => {
    h.ws.module({ name: "one", chipset: { activation: "eager" }, code: SERVICE });
    h.ws.module({ name: "two", chipset: { activation: "eager" }, code: SERVICE });
    const clock = new ManualClock();
    const rt = h.open({ clock, resources: { sampleMs: 1000 } });
    const server = await h.serve(rt);
    const sse = await SseClient.open(`${server.url}/v1/events`, { authorization: `Bearer ${TOKEN}` });
    await rt.start(); // the first readings
    await rt.call("one", "quick");
    await rt.call("one", "quick");
    await rt.call("two", "quick");
    clock.advance(1000);
    const event = await sse.until((e) => e.event === "resources.sampled");
    const round = event.data as ResourcesSampled;
    const figures = Object.fromEntries(round.samples.map((s) => [s.id, [s.calls, s.failures, s.p99Ms]]));
    expect(figures).toEqual({ one: [2, 0, 0], two: [1, 0, 0] });
    expect(round.samples.every((s) => s.at === round.at && s.isolation === "inline")).toBe(true);
    expect(sse.received.filter((e) => e.event === "resources.sampled")).toHaveLength(1);
    sse.close();
  });

  it("sends resources.sampled live only: without an id, and never replayed to a client that resumes", async () => {
    h.ws.module({ name: "one", chipset: { activation: "eager" }, code: SERVICE });
    const clock = new ManualClock();
    const rt = h.open({ clock, resources: { sampleMs: 1000 } });
    const server = await h.serve(rt);
    const headers = { authorization: `Bearer ${TOKEN}` };
    const first = await SseClient.open(`${server.url}/v1/events`, headers);
    await rt.start();
    clock.advance(1000);
    const sampled = await first.until((e) => e.event === "resources.sampled");
    expect(sampled.id).toBeUndefined();
    await rt.stop("one");
    const stopped = await first.until((e) => e.event === "module.stopped");
    first.close();

    const resumed = await SseClient.open(`${server.url}/v1/events`, { ...headers, "last-event-id": "0" });
    await rt.start("one");
    await resumed.until(
      (e) => e.event === "module.started" && e.id !== undefined && Number(e.id) > Number(stopped.id),
    );
    expect(resumed.received.map((e) => e.event)).not.toContain("resources.sampled");
    expect(resumed.received.map((e) => e.event)).toContain("module.stopped");
    resumed.close();
  });

  it("counts the calls without anomaly detection, with failures and p99 null", async () => {
    h.ws.module({ name: "svc", chipset: { activation: "eager" }, code: SERVICE });
    const clock = new ManualClock();
    const rt = h.open({ clock, resources: { sampleMs: 1000 }, anomalies: false });
    const rounds: ResourcesSampled[] = [];
    rt.on("resources.sampled", (e) => rounds.push(e));
    await rt.start();
    await rt.call("svc", "quick");
    await expect(rt.call("svc", "fail")).rejects.toThrow("asked to fail");
    clock.advance(1000);
    expect(rounds.map((r) => r.samples[0])).toEqual([
      expect.objectContaining({ id: "svc", calls: 2, failures: null, p99Ms: null }),
    ]);
  });
});
