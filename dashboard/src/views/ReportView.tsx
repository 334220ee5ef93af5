// The latest resource report (the last 24 hours by module) and the errors counted by code.

import { api } from "../api/client.js";
import { bps, bytes, percent } from "../format.js";
import { usePolled } from "../usePolled.js";

interface Figure {
  avg: number;
  peak: number;
  p95: number;
  trend: string;
}

interface ReportModule {
  id: string;
  version: string;
  samples: number;
  cpuPercent: Figure | null;
  memoryBytes: Figure | null;
  diskBps: Figure | null;
  networkBps: Figure | null;
  restarts: number;
  errors: number;
}

interface Report {
  since: number;
  until: number;
  modules: ReportModule[];
}

function cell(f: Figure | null, fmt: (n: number) => string) {
  if (f === null) return <td class="num muted">–</td>;
  return (
    <td class="num" title={`p95 ${fmt(f.p95)}, peak ${fmt(f.peak)}, ${f.trend}`}>
      {fmt(f.avg)}{" "}
      <span class={`trend t-${f.trend}`}>
        {f.trend === "rising" ? "↑" : f.trend === "falling" ? "↓" : ""}
      </span>
    </td>
  );
}

export function ReportView() {
  const report = usePolled(() => api<Report>("/v1/report"), "report", 10_000);
  const r = report.value;
  if (r === null)
    return <p class={report.error ? "error" : "muted"}>{report.error || "Loading the report…"}</p>;
  return (
    <section class="view report">
      <p class="muted">
        From {new Date(r.since).toLocaleString()} to {new Date(r.until).toLocaleString()}: averages (hover for
        p95, peak and trend).
      </p>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>module</th>
              <th class="num">samples</th>
              <th class="num">CPU</th>
              <th class="num">memory</th>
              <th class="num">disk</th>
              <th class="num">network</th>
              <th class="num">restarts</th>
              <th class="num">errors</th>
            </tr>
          </thead>
          <tbody>
            {r.modules.map((m) => (
              <tr key={`${m.id}@${m.version}`}>
                <td>
                  {m.id}@{m.version}
                </td>
                <td class="num">{m.samples}</td>
                {cell(m.cpuPercent, percent)}
                {cell(m.memoryBytes, bytes)}
                {cell(m.diskBps, bps)}
                {cell(m.networkBps, bps)}
                <td class="num">{m.restarts}</td>
                <td class="num">{m.errors}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
