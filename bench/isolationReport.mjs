/**
 * The tables of benchmark 4 (bench/isolation.mjs): first result, calls, and crash to serving again,
 * each against its bare-Node and piscina peers.
 */
import { HEADER, ms, x } from "./lib/stats.mjs";

/** The hosts compared. */
export const ISOLATIONS = ["worker", "process"];
/** Calls in flight when measuring throughput. */
export const IN_FLIGHT = 64;

const cells = (name, stats) => [name, ms(stats.median), ms(stats.p95), String(stats.n)];
/** `a / b` of the medians, as `1.23x`. */
const over = (a, b) => x(a.median / b.median);
const perSecond = (stats) => `${Math.round(1000 / stats.median).toLocaleString("en-US")}/s`;
const BARE = { worker: "new Worker()", process: "fork()" };

export function firstTable(first) {
  const rows = [];
  for (const isolation of ISOLATIONS) {
    const f = first[isolation];
    rows.push(
      [
        ...cells(`chipset ${isolation}, warm pool (pool.${isolation} 1)`, f.warm),
        over(f.warm, f.bare),
        over(f.warm, f.bareLoad),
      ],
      [...cells(`chipset ${isolation}, cold (pool 0)`, f.cold), over(f.cold, f.bare), ""],
      [...cells(`bare: ${BARE[isolation]} + 1 round trip`, f.bare), "1.00x", ""],
      [...cells(`bare: import() in a started ${isolation} + 1 round trip`, f.bareLoad), "", "1.00x"],
    );
  }
  rows.push([
    ...cells("chipset inline (same code)", first.inline),
    over(first.inline, first.worker.bare),
    "",
  ]);
  return {
    title: "4.1 use(id).inc(1) to the first result (module installed, not loaded; runtime started)",
    header: [...HEADER.slice(0, 4), "ratio to bare start", "ratio to bare load"],
    rows,
  };
}

export function callTable(call) {
  const rows = [];
  const who = (isolation, name) =>
    name === "chipset"
      ? `chipset ${isolation}`
      : name === "piscina"
        ? "piscina, 1 thread"
        : `bare ${isolation} echo`;
  for (const isolation of ISOLATIONS) {
    const c = call[isolation];
    for (const name of Object.keys(c.latency)) {
      const s = c.latency[name];
      const ratio = name === "chipset" ? "1.00x" : `${over(c.latency.chipset, s)} (chipset/this)`;
      rows.push([...cells(`${who(isolation, name)}, 1 in flight: ms per call`, s), perSecond(s), ratio]);
    }
    for (const name of Object.keys(c.inFlight)) {
      const s = c.inFlight[name];
      const throughput = s.median / c.inFlight.chipset.median;
      const ratio = name === "chipset" ? "1.00x" : `${x(throughput)} (chipset/this throughput)`;
      rows.push([
        ...cells(`${who(isolation, name)}, ${IN_FLIGHT} in flight: ms per call`, s),
        perSecond(s),
        ratio,
      ]);
    }
  }
  return {
    title: `4.2 Calls into one loaded module, inc(x): 1 in flight (latency) and ${IN_FLIGHT} in flight (throughput)`,
    header: [...HEADER.slice(0, 4), "calls/s", "ratio"],
    rows,
  };
}

export function crashTable(crash, first) {
  const rows = [];
  for (const isolation of ISOLATIONS) {
    for (const pool of ["warm", "cold"]) {
      const c = crash[isolation][pool];
      const label = `chipset ${isolation}, ${pool === "warm" ? "warm pool" : "pool 0"}`;
      rows.push(
        [...cells(`${label}: die() to first good call`, c.serving), over(c.serving, first[isolation].bare)],
        [...cells(`${label}: die() to module.crashed`, c.detected), ""],
        [...cells(`${label}: die() to module.restarted`, c.restarted), ""],
      );
    }
  }
  return {
    title: "4.3 Crash to serving again (first restart, restart.initialDelayMs 0)",
    header: [...HEADER.slice(0, 4), "ratio to bare start"],
    rows,
  };
}
