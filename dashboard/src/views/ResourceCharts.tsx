// A module's resources over the last hour, from the host's stored samples, extended every few
// seconds with the new ones.

import { useEffect, useState } from "preact/hooks";
import { api, ApiError, seg } from "../api/client.js";
import type { ResourcePoint } from "../api/types.js";
import { bps, bytes, ms, percent, rate } from "../format.js";
import { Chart } from "./Chart.js";

const HOUR_MS = 3_600_000;
const EXTEND_MS = 3_000;

type Point = ResourcePoint & { version: string };

export function ResourceCharts(props: { id: string }) {
  const [points, setPoints] = useState<Point[]>([]);
  const [error, setError] = useState("");

  useEffect(() => {
    let stopped = false;
    // The host's times throughout (the browser's clock may be off): the first fetch asks for the
    // last hour, the next ones for what came after the latest point.
    let latest: number | undefined;
    let timer = 0;
    const fetchSince = async (): Promise<void> => {
      try {
        const { points: fresh } = await api<{ points: Point[] }>(
          `/v1/modules/${seg(props.id)}/resources?since=${latest === undefined ? "1h" : Math.floor(latest) + 1}`,
        );
        if (stopped) return;
        if (fresh.length > 0) {
          latest = Math.max(latest ?? 0, ...fresh.map((p) => p.at));
          const cut = latest - HOUR_MS;
          setPoints((old) => [...old, ...fresh].filter((p) => p.at >= cut));
        }
        setError("");
      } catch (e) {
        if (!stopped) setError(e instanceof ApiError ? `${e.code}: ${e.message}` : String(e));
      }
      if (!stopped) timer = window.setTimeout(() => void fetchSince(), EXTEND_MS);
    };
    void fetchSince();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [props.id]);

  // The charts follow the version sampled last (after an update, the new one); points come
  // grouped by version, so the last one is not necessarily the newest.
  let version: string | undefined;
  let newest = -Infinity;
  for (const p of points)
    if (p.at > newest) {
      newest = p.at;
      version = p.version;
    }
  const shown = points.filter((p) => p.version === version);
  const times = shown.map((p) => p.at);
  const hasCalls = shown.some((p) => typeof p.calls === "number");
  return (
    <section class="resources" aria-label="resources">
      <h2>Resources, last hour {version !== undefined && <span class="muted">({version})</span>}</h2>
      {error !== "" && <p class="error">{error}</p>}
      {shown.length === 0 ? (
        <p class="muted">No samples yet: a module is sampled each second while it is loaded.</p>
      ) : (
        <div class="charts">
          <Chart
            title="CPU"
            times={times}
            format={percent}
            series={[{ label: "CPU", colour: "#2b6cb0", values: shown.map((p) => p.cpuPercent) }]}
          />
          <Chart
            title="Memory"
            times={times}
            format={bytes}
            series={[{ label: "memory", colour: "#805ad5", values: shown.map((p) => p.memoryBytes) }]}
          />
          <Chart
            title="Disk and network"
            times={times}
            format={bps}
            series={[
              { label: "disk", colour: "#b7791f", values: shown.map((p) => p.diskBps) },
              { label: "network", colour: "#2f855a", values: shown.map((p) => p.networkBps) },
            ]}
          />
          {hasCalls && (
            <Chart
              title="Calls per second"
              times={times}
              format={rate}
              series={[{ label: "calls/s", colour: "#2c7a7b", values: shown.map(callRate) }]}
            />
          )}
          {hasCalls && (
            <Chart
              title="Latency p99"
              times={times}
              format={ms}
              series={[{ label: "p99", colour: "#c53030", values: shown.map((p) => p.p99Ms ?? null) }]}
            />
          )}
        </div>
      )}
    </section>
  );
}

/** Calls per second of a point: its calls over its span (a raw sample's second, a roll-up's minute). */
function callRate(p: Point): number | null {
  if (typeof p.calls !== "number") return null;
  const spanS = p.resolution === "minute" ? 60 : 1;
  return p.calls / spanS;
}
