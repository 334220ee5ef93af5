import { describe, expect, it } from "vitest";
import { ManualClock } from "../common/Clock.js";
import { seededRandom as mulberry32 } from "../chaos/faults.js";
import {
  AnomalyDetector,
  anomalyDefaults,
  type AnomalyEvent,
  type AnomalySettings,
} from "./AnomalyDetector.js";
import { percentile } from "./CallSeries.js";

const MB = 1024 * 1024;

function setup(settings?: Partial<AnomalySettings>) {
  const clock = new ManualClock();
  const events: AnomalyEvent[] = [];
  /** clock.now() at each event. */
  const at: number[] = [];
  const detector = new AnomalyDetector({
    clock,
    settings,
    emit: (e) => {
      events.push(e);
      at.push(clock.now());
    },
  });
  const series = detector.series("db", "1.0.0", "query");
  /** `count` calls, one every `everyMs`, with the latency (ms) and outcome of call `i`. */
  const calls = (
    count: number,
    latency: (i: number) => number,
    everyMs = 10,
    ok: (i: number) => boolean = () => true,
  ) => {
    for (let i = 0; i < count; i++) {
      clock.advance(everyMs);
      series.observe(latency(i), ok(i));
    }
  };
  const random = mulberry32(42);
  /** Latency around 10 ms, +-1 ms. */
  const steady = () => 9 + 2 * random();
  return { clock, events, at, detector, series, calls, random, steady };
}

describe("call anomalies", () => {
  it("fire nothing before minSamples, however slow the calls", () => {
    const scenario = (minSamples: number) => {
      const t = setup({ minSamples });
      t.calls(10, t.steady, 100);
      t.calls(39, () => 100, 100);
      return t.events;
    };
    expect(scenario(50)).toEqual([]);
    // The same calls with a lower bar do fire: the 49 calls above were an anomaly in waiting.
    expect(scenario(10).map((e) => e.metric)).toEqual(["latency"]);
  });

  it("never fire on a steady noisy series", () => {
    const t = setup();
    const { random } = t;
    // Exponential latencies around 10 ms with a 1% tail of stalls, 5% errors, irregular gaps.
    for (let i = 0; i < 200_000; i++) {
      t.clock.advance(1 + Math.floor(random() * 50));
      const stall = random() < 0.01 ? 10 : 1;
      t.series.observe(-10 * Math.log(1 - random()) * stall, random() >= 0.05);
    }
    expect(t.events).toEqual([]);
    const [snap] = t.detector.snapshot().calls;
    expect(snap?.samples).toBeGreaterThan(150_000);
    expect(snap?.meanMs).toBeGreaterThan(7);
    expect(snap?.meanMs).toBeLessThan(13);
    expect(snap?.errorRate).toBeGreaterThan(0.03);
    expect(snap?.errorRate).toBeLessThan(0.07);
  });

  it.each([
    ["its first call filled a cache", 1, 2_000],
    ["its first calls ran before the JIT compiled it", 5, 1_000],
  ])("fire on a 30x slowdown of a method though %s (%i calls of %i ms)", (_why, cold, coldMs) => {
    const t = setup();
    t.calls(cold, () => coldMs);
    t.calls(200, t.steady);
    expect(t.events).toEqual([]);
    expect(t.detector.snapshot().calls[0]?.meanMs).toBeCloseTo(10, 0);
    t.calls(200, () => 300);
    expect(t.events.map((e) => [e.metric, e.active])).toEqual([["latency", true]]);
  });

  it("never fire on a method that is slow in a tenth of its calls from the start", () => {
    const t = setup();
    // A cache that misses one call in ten, at 30 times the cost of a hit: the tail is its normal.
    t.calls(20_000, () => (t.random() < 0.1 ? 300 : t.steady()));
    expect(t.events).toEqual([]);
  });

  it("fire once on a sustained latency jump, with sensible figures, and clear once after it ends", () => {
    const t = setup();
    t.calls(1000, t.steady);
    const jump = t.clock.now();
    t.calls(300, () => 100);
    const end = t.clock.now();
    t.calls(500, t.steady);

    expect(t.events.map((e) => e.active)).toEqual([true, false]);
    const [begin, cleared] = t.events as [AnomalyEvent, AnomalyEvent];
    expect(begin).toMatchObject({
      id: "db",
      version: "1.0.0",
      method: "query",
      metric: "latency",
      unit: "ms",
    });
    expect(begin.baseline).toBeCloseTo(10, 0);
    // Noise of +-1 ms makes 4 deviations smaller than twice the mean, so the ratio decides.
    expect(begin.threshold).toBeCloseTo(2 * begin.baseline, 5);
    expect(begin.observed).toBeGreaterThan(begin.threshold);
    expect(begin.observed).toBeLessThanOrEqual(100);
    expect(begin.samples).toBeGreaterThanOrEqual(1000);
    expect(t.at[0]! - jump).toBeGreaterThanOrEqual(1000);
    expect(t.at[0]! - jump).toBeLessThan(1200);

    expect(cleared.observed).toBeLessThan((cleared.baseline + cleared.threshold) / 2);
    expect(cleared.baseline).toBe(begin.baseline);
    expect(t.at[1]! - end).toBeGreaterThanOrEqual(1000);
    expect(t.at[1]! - end).toBeLessThan(1500);
    expect(t.detector.snapshot().calls[0]?.anomalies).toEqual([]);
  });

  it("do not fire on a spike shorter than sustainMs", () => {
    const scenario = (sustainMs: number) => {
      const t = setup({ sustainMs });
      t.calls(1000, t.steady);
      t.calls(50, () => 100);
      t.calls(500, t.steady);
      return t.events.filter((e) => e.active);
    };
    expect(scenario(1000)).toEqual([]);
    // The same 500 ms spike is a sustained deviation when sustainMs is shorter than it.
    expect(scenario(300)).toHaveLength(1);
  });

  it("do not fire on one stalled call, even at a call a second", () => {
    const t = setup();
    t.calls(60, t.steady, 1000);
    t.calls(1, () => 10_000, 1000);
    t.calls(60, t.steady, 1000);
    expect(t.events).toEqual([]);
    // ...whereas a run of them is a fault.
    t.calls(20, () => 10_000, 1000);
    expect(t.events.map((e) => [e.metric, e.active])).toEqual([["latency", true]]);
  });

  it("fire at most once on a value oscillating around the threshold (hysteresis)", () => {
    const t = setup();
    const flat = () => 10 + (t.random() - 0.5) * 0.5;
    t.calls(1000, flat);
    // 1.2 s above, 1.2 s below: each stretch outlasts sustainMs, so without hysteresis this would
    // begin and end an anomaly every 2.4 s.
    for (let cycle = 0; cycle < 12; cycle++) {
      t.calls(120, () => 22);
      t.calls(120, () => 18.5);
    }
    expect(t.events).toHaveLength(1);
    expect(t.events[0]?.active).toBe(true);
    expect(t.events[0]?.threshold).toBeGreaterThan(18.5);
    expect(t.events[0]?.threshold).toBeLessThan(22);
  });

  it("fire and clear on a rise of the error rate, and fast failures do not move the latency baseline", () => {
    const t = setup();
    const { random } = t;
    // Failures answer in 1 ms; successes in 10.
    const outcome = (rate: number) => () => random() >= rate;
    const run = (count: number, rate: number) => {
      const ok = outcome(rate);
      for (let i = 0; i < count; i++) {
        t.clock.advance(10);
        const success = ok();
        t.series.observe(success ? t.steady() : 1, success);
      }
    };
    run(2000, 0.02);
    run(300, 0.5);
    run(600, 0.02);

    expect(t.events.map((e) => [e.metric, e.active])).toEqual([
      ["error-rate", true],
      ["error-rate", false],
    ]);
    const [begin] = t.events as [AnomalyEvent];
    expect(begin.unit).toBe("ratio");
    expect(begin.baseline).toBeGreaterThan(0.005);
    expect(begin.baseline).toBeLessThan(0.05);
    expect(begin.threshold).toBeCloseTo(begin.baseline + 0.2, 10);
    expect(begin.observed).toBeGreaterThan(begin.threshold);
    expect(t.detector.snapshot().calls[0]?.meanMs).toBeCloseTo(10, 0);
  });

  it("keep a fault of ten times sustainMs active: it does not become the baseline", () => {
    const t = setup();
    t.calls(1000, t.steady);
    t.calls(1000, () => 100); // 10 s
    expect(t.events.map((e) => e.active)).toEqual([true]);
    const [snap] = t.detector.snapshot().calls;
    expect(snap?.meanMs).toBeCloseTo(10, 0);
    // The fault's first calls, before it was recognised, did not widen the baseline either.
    expect(snap?.sdMs).toBeLessThan(1);
    expect(snap?.anomalies).toMatchObject([{ metric: "latency", since: t.at[0], baseline: snap?.meanMs }]);
    expect(snap?.anomalies[0]?.observed).toBeCloseTo(100, 0);
    t.calls(500, t.steady);
    expect(t.events.map((e) => e.active)).toEqual([true, false]);
  });

  it("make each series once and keep series of other methods apart", () => {
    const t = setup();
    expect(t.detector.series("db", "1.0.0", "query")).toBe(t.series);
    const other = t.detector.series("db", "1.0.0", "insert");
    t.calls(1000, t.steady);
    for (let i = 0; i < 1000; i++) {
      t.clock.advance(10);
      other.observe(t.steady(), true);
    }
    t.calls(300, () => 100);
    expect(t.events.map((e) => e.method)).toEqual(["query"]);
    expect(t.detector.snapshot().calls.map((s) => [s.method, s.anomalies.length])).toEqual([
      ["query", 1],
      ["insert", 0],
    ]);
  });
});

describe("memory anomalies", () => {
  /** One reading a second (ms, MB). */
  const readings = (t: ReturnType<typeof setup>, seconds: number, mb: (s: number) => number) => {
    for (let s = 0; s < seconds; s++) {
      t.clock.advance(1000);
      t.detector.observeMemory("db", "1.0.0", mb(s) * MB);
    }
  };

  it("do not fire on a steady heap with a GC sawtooth, on slow growth, nor on a one-off step", () => {
    const t = setup();
    // Up 40 MB over 7 s, collected back down, with noise: the fit over 30 s sees no trend.
    readings(t, 300, (s) => 200 + ((s % 7) / 7) * 40 + t.random() * 4);
    readings(t, 300, (s) => 220 + (10 * s) / 60); // 10 MB/min
    readings(t, 60, () => 320); // a cache filling: up 50 MB at once, then flat
    expect(t.events).toEqual([]);
    const [snap] = t.detector.snapshot().memory;
    expect(snap).toMatchObject({ id: "db", version: "1.0.0", heapMb: 320, readings: 31 });
    expect(snap?.slopeMbPerMin).toBeCloseTo(0, 6);
  });

  it("read a one-off step as a trend when fitted over the window alone (why both halves must grow)", () => {
    const t = setup();
    readings(t, 60, () => 100);
    readings(t, 10, (s) => (s < 1 ? 100 : 150));
    // The fit over the whole window sees 50 MB within 30 s, well over both thresholds...
    const [snap] = t.detector.snapshot().memory;
    expect(snap?.slopeMbPerMin).toBeGreaterThan(20);
    expect(snap?.growthMb).toBeGreaterThan(16);
    // ...and it did not fire.
    expect(t.events).toEqual([]);
  });

  it("fire once on a leak of 2 MB/s and clear once after the heap is flat again", () => {
    const t = setup();
    readings(t, 60, () => 100);
    const leak = t.clock.now();
    readings(t, 60, (s) => 100 + 2 * (s + 1));
    const stop = t.clock.now();
    readings(t, 120, () => 220);

    expect(t.events.map((e) => [e.metric, e.active])).toEqual([
      ["memory", true],
      ["memory", false],
    ]);
    const [begin, cleared] = t.events as [AnomalyEvent, AnomalyEvent];
    expect(begin.method).toBeUndefined();
    expect(begin).toMatchObject({ unit: "MB/min", baseline: 0, threshold: 20 });
    expect(begin.observed).toBeGreaterThanOrEqual(20);
    expect(begin.observed).toBeLessThanOrEqual(120 + 1e-6);
    expect(begin.growthMb).toBeGreaterThanOrEqual(16);
    // Both halves of the window must grow, so a leak fires within about one window of starting.
    expect(t.at[0]! - leak).toBeLessThanOrEqual(anomalyDefaults.memoryWindowMs);
    expect(cleared.observed).toBeLessThan(10);
    expect(t.at[1]! - stop).toBeGreaterThan(0);
    expect(t.at[1]! - stop).toBeLessThanOrEqual(30_000);
  });
});

describe("forget", () => {
  it("ends tracking of a module silently, leaves the others and makes fresh series afterwards", () => {
    const t = setup();
    const other = t.detector.series("cache", "2.0.0", "get");
    t.calls(1000, t.steady);
    t.calls(200, () => 100);
    t.detector.observeMemory("db", "1.0.0", 100 * MB);
    expect(t.events).toHaveLength(1);

    t.detector.forget("db");
    expect(t.detector.snapshot()).toEqual({
      calls: [expect.objectContaining({ id: "cache" })],
      memory: [],
      versions: [expect.objectContaining({ id: "cache" })],
    });
    t.calls(500, t.steady); // the old series is inert: no end event
    expect(t.events).toHaveLength(1);
    expect(t.detector.snapshot().calls).toHaveLength(1);

    const fresh = t.detector.series("db", "1.0.0", "query");
    expect(fresh).not.toBe(t.series);
    fresh.observe(100, true);
    expect(t.detector.snapshot().calls.find((s) => s.id === "db")).toMatchObject({ samples: 1, meanMs: 100 });
    other.observe(5, true);
    expect(t.detector.snapshot().calls.find((s) => s.id === "cache")?.samples).toBe(1);
  });

  it("forgets only the version given", () => {
    const t = setup();
    t.detector.series("db", "2.0.0", "query");
    t.detector.forget("db", "1.0.0");
    expect(t.detector.snapshot().calls.map((s) => s.version)).toEqual(["2.0.0"]);
  });
});

describe("settings", () => {
  it("default to the documented thresholds and take partial overrides", () => {
    const t = setup({ sustainMs: 250 });
    expect(t.detector.settings).toEqual({ ...anomalyDefaults, sustainMs: 250 });
    expect(anomalyDefaults).toMatchObject({
      minSamples: 50,
      latencyDeviations: 4,
      latencyRatio: 2,
      errorRateRise: 0.2,
      sustainMs: 1000,
      memoryMbPerMin: 20,
      memoryWindowMs: 30_000,
      memoryMinGrowthMb: 16,
    });
  });
});

describe("per-version figures", () => {
  it("count every failure exactly and give the p99 of the recent calls of all methods together", () => {
    const t = setup();
    const other = t.detector.series("db", "1.0.0", "write");
    // 99 calls of 1..99 ms on query, one of 1000 ms on write, two failures: the p99 of 100 is the 99th.
    for (let i = 1; i < 100; i++) t.series.observe(i, true);
    other.observe(1000, true);
    other.observe(5, false);
    t.series.observe(5, false);
    const [figures] = t.detector.snapshot().versions;
    expect(figures).toEqual({ id: "db", version: "1.0.0", failures: 2, p99Ms: 99 });
    expect(t.detector.snapshot().calls.find((s) => s.method === "write")).toMatchObject({
      failures: 1,
      p99Ms: 1000,
    });
  });

  it("keep only the latest 1 024 successful latencies of a method", () => {
    const t = setup();
    for (let i = 0; i < 2000; i++) t.series.observe(500, true);
    for (let i = 0; i < 1024; i++) t.series.observe(2, true);
    expect(t.detector.snapshot().versions[0]?.p99Ms).toBe(2);
  });

  it("have no p99 before the first successful call", () => {
    const t = setup();
    t.series.observe(3, false);
    expect(t.detector.snapshot().versions).toEqual([
      { id: "db", version: "1.0.0", failures: 1, p99Ms: null },
    ]);
  });
});

describe("interval figures (takeIntervals, for the resource samples)", () => {
  it("give each interval's failures and p99 alone, across the ring's wrap and past its size", () => {
    const t = setup();
    const take = () => t.detector.takeIntervals().get("db@1.0.0");
    for (let i = 0; i < 1000; i++) t.series.observe(1, true);
    t.series.observe(1, false);
    expect(take()).toEqual({ failures: 1, p99Ms: 1 });
    // 300 calls of 1..300 ms, written across the end of the 1 024-slot ring: the 297th is their p99.
    for (let i = 1; i <= 300; i++) t.series.observe(i, true);
    expect(take()).toEqual({ failures: 0, p99Ms: 297 });
    expect(take()).toEqual({ failures: 0, p99Ms: null }); // nothing since
    // 2 000 calls of 1..2 000 ms: the latest 1 024 (977..2 000) stand for them, p99 the 1 014th.
    for (let i = 1; i <= 2000; i++) t.series.observe(i, true);
    expect(take()).toEqual({ failures: 0, p99Ms: 1990 });
  });
});

describe("percentile", () => {
  it("is the nearest-rank percentile a sort gives, across several windows", () => {
    const random = mulberry32(7);
    for (const n of [1, 2, 3, 99, 100, 101, 1000, 3000]) {
      const values = Array.from({ length: n }, () => Math.fround(random() * 100));
      const cut = Math.floor(n / 3);
      const parts = [Float32Array.from(values.slice(0, cut)), Float32Array.from(values.slice(cut))];
      const sorted = [...values].sort((a, b) => a - b);
      for (const p of [50, 95, 99, 100])
        expect(percentile(parts, p), `n ${n}, p${p}`).toBe(sorted[Math.ceil((p / 100) * n) - 1]);
    }
    expect(percentile([], 99)).toBeNull();
  });
});
