// Where the host runs: the machine now (/v1/system), what it detected (/v1/environment) with the
// evidence, the capability matrix, and the defaults it adapted to them.

import { api } from "../api/client.js";
import { bps, bytes, duration, percent } from "../format.js";
import { usePolled } from "../usePolled.js";

interface Evidence {
  source: string;
  found: string;
}

interface EnvironmentReport {
  node: string;
  platform: string;
  arch: string;
  verdicts: Record<string, { value: string; detected: boolean; evidence: Evidence[] }>;
  capabilities: Record<string, { available: boolean; detail: string; evidence: Evidence[] }>;
  defaults: Record<string, { setting: string; value: unknown; source: string; why: string }>;
}

interface SystemReport {
  loadAverage: number[];
  cpus: number;
  cpuPercent: number;
  memory: { totalBytes: number; availableBytes: number; usedBytes: number };
  disk: { path: string; totalBytes: number; freeBytes: number };
  network: { receivedBps: number; sentBps: number; connections: number };
  process: { pid: number; rssBytes: number; heapUsedBytes: number; uptimeSeconds: number };
}

function EvidenceList(props: { evidence: Evidence[] }) {
  return (
    <ul class="evidence">
      {props.evidence.map((e, i) => (
        <li key={i}>
          <code>{e.source}</code>: {e.found}
        </li>
      ))}
    </ul>
  );
}

export function Environment() {
  const env = usePolled(() => api<EnvironmentReport>("/v1/environment"), "environment", 60_000);
  const sys = usePolled(() => api<SystemReport>("/v1/system"), "system", 2_000);
  const e = env.value;
  const s = sys.value;
  return (
    <section class="view environment">
      {s !== null && (
        <dl class="system" data-testid="system">
          <dt>host</dt>
          <dd>
            pid {s.process.pid}, up {duration(s.process.uptimeSeconds * 1000)}, RSS{" "}
            {bytes(s.process.rssBytes)}, heap {bytes(s.process.heapUsedBytes)}
          </dd>
          <dt>CPU</dt>
          <dd>
            {percent(s.cpuPercent)} of {s.cpus}, load {s.loadAverage.map((l) => l.toFixed(2)).join(" ")}
          </dd>
          <dt>memory</dt>
          <dd>
            {bytes(s.memory.usedBytes)} used of {bytes(s.memory.totalBytes)}
          </dd>
          <dt>disk</dt>
          <dd>
            {bytes(s.disk.freeBytes)} free of {bytes(s.disk.totalBytes)} at <code>{s.disk.path}</code>
          </dd>
          <dt>network</dt>
          <dd>
            in {bps(s.network.receivedBps)}, out {bps(s.network.sentBps)}, {s.network.connections} connections
          </dd>
        </dl>
      )}
      {(env.error || sys.error) && <p class="error">{env.error || sys.error}</p>}
      {e !== null && (
        <>
          <p>
            Node {e.node} on {e.platform}/{e.arch}
          </p>
          <h2>Capabilities</h2>
          <div class="table-wrap">
            <table data-testid="capabilities">
              <thead>
                <tr>
                  <th>capability</th>
                  <th>available</th>
                  <th>detail</th>
                  <th>evidence</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(e.capabilities).map(([name, c]) => (
                  <tr key={name}>
                    <td>{name}</td>
                    <td class={c.available ? "ok" : "error"}>{c.available ? "yes" : "no"}</td>
                    <td>{c.detail}</td>
                    <td>
                      <EvidenceList evidence={c.evidence} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h2>Detected</h2>
          <div class="table-wrap">
            <table>
              <tbody>
                {Object.entries(e.verdicts).map(([name, v]) => (
                  <tr key={name}>
                    <td>{name}</td>
                    <td>{v.value}</td>
                    <td>
                      <EvidenceList evidence={v.evidence} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h2>Defaults adapted to this machine</h2>
          <div class="table-wrap">
            <table>
              <tbody>
                {Object.values(e.defaults).map((d) => (
                  <tr key={d.setting}>
                    <td>
                      <code>{d.setting}</code>
                    </td>
                    <td>{JSON.stringify(d.value)}</td>
                    <td>{d.source}</td>
                    <td>{d.why}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
