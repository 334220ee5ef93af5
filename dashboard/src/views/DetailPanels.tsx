// The rest of a module's page: replicas and their dispatch scores, recent errors with their
// context, log lines, crash and restart history, update history, manifest and configuration.

import { api, seg } from "../api/client.js";
import type { ModuleDetail } from "../api/types.js";
import { ms, NONE, percent, time } from "../format.js";
import { usePolled } from "../usePolled.js";

interface ReplicaView {
  key: string;
  replica: number;
  state: string;
  pid: number;
  thread: number;
  health: string;
  reason: string;
  inRotation: boolean;
  effectiveWeight: number;
  inflight: number;
  meanMs?: number;
  errorRate?: number;
  ejections: number;
  calls: number;
}

interface ReplicaSet {
  id: string;
  version: string;
  desired: number;
  current: number;
  strategy: string;
  members: ReplicaView[];
}

interface RecentError {
  at?: number;
  code?: string;
  message?: string;
  id?: string;
  version?: string;
  method?: string;
  [field: string]: unknown;
}

/** One row of `GET /v1/modules/{ref}/updates`. */
interface UpdateRecord {
  seq: number;
  action: "update" | "rollback";
  strategy: string;
  from: string | null;
  to: string | null;
  outcome: string;
  code: string | null;
  message: string | null;
  startedAt: number;
  finishedAt: number;
}

/** `GET /v1/modules/{ref}/config`. */
interface ConfigView {
  config: unknown;
  redacted: string[];
  source: string;
  key: string | null;
  live: boolean;
  problem: { code: string; message: string } | null;
}

interface LogEntry {
  time: number;
  level: string;
  module: string | null;
  msg: string;
  fields?: Record<string, unknown>;
}

export function DetailPanels(props: { detail: ModuleDetail }) {
  const d = props.detail;
  const id = seg(d.id);
  const replicas = usePolled(() => api<{ replicas: ReplicaSet[] }>("/v1/replicas"), d.id, 2_000);
  const errors = usePolled(() => api<{ recent: RecentError[] }>(`/v1/errors?id=${id}&limit=20`), d.id, 2_000);
  const logs = usePolled(() => api<{ entries: LogEntry[] }>(`/v1/logs?module=${id}&lines=100`), d.id, 2_000);
  const updates = usePolled(
    () => api<{ updates: UpdateRecord[] }>(`/v1/modules/${id}/updates?limit=20`),
    d.id,
    2_000,
  );
  const config = usePolled(() => api<ConfigView>(`/v1/modules/${id}/config`), d.id, 10_000);
  const sets = (replicas.value?.replicas ?? []).filter((r) => r.id === d.id);

  return (
    <>
      <h2>Replicas</h2>
      {sets.length === 0 ? (
        <p class="muted">One instance per version (no replicas).</p>
      ) : (
        sets.map((set) => (
          <div key={set.version} class="table-wrap">
            <p class="muted">
              {set.id}@{set.version}: {set.current} of {set.desired} wanted, strategy {set.strategy}
            </p>
            <table data-testid="replicas">
              <thead>
                <tr>
                  <th>replica</th>
                  <th>state</th>
                  <th>where</th>
                  <th>health</th>
                  <th>rotation</th>
                  <th class="num">weight</th>
                  <th class="num">in flight</th>
                  <th class="num">mean</th>
                  <th class="num">errors</th>
                  <th class="num">ejected</th>
                  <th class="num">calls</th>
                  <th>why</th>
                </tr>
              </thead>
              <tbody>
                {set.members.map((m) => (
                  <tr key={m.key}>
                    <td>{m.key}</td>
                    <td>{m.state}</td>
                    <td>{m.thread !== 0 ? `thread ${m.thread}` : `pid ${m.pid}`}</td>
                    <td>
                      <span class={`health h-${m.health}`}>{m.health}</span>
                    </td>
                    <td>{m.inRotation ? "in" : "out"}</td>
                    <td class="num">{m.effectiveWeight.toFixed(2)}</td>
                    <td class="num">{m.inflight}</td>
                    <td class="num">{ms(m.meanMs)}</td>
                    <td class="num">{m.errorRate === undefined ? NONE : percent(m.errorRate * 100)}</td>
                    <td class="num">{m.ejections}</td>
                    <td class="num">{m.calls}</td>
                    <td>{m.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))
      )}

      <h2>Crashes and restarts</h2>
      {d.crashes.length === 0 ? (
        <p class="muted">No crash since the host started.</p>
      ) : (
        <ol class="history" data-testid="crashes" reversed>
          {[...d.crashes].reverse().map((c, i) => (
            <li key={i}>
              {time(typeof c.at === "number" ? c.at : undefined)} · {String(c.kind ?? "crash")} →{" "}
              {String(c.action ?? NONE)}
              {typeof c.delayMs === "number" ? ` after ${ms(c.delayMs)}` : ""}
              {typeof c.message === "string" ? `: ${c.message}` : ""}
            </li>
          ))}
        </ol>
      )}

      <h2>Updates</h2>
      {updates.error !== "" ? (
        <p class="error">{updates.error}</p>
      ) : (updates.value?.updates ?? []).length === 0 ? (
        <p class="muted">No update recorded.</p>
      ) : (
        <ol class="history" data-testid="updates">
          {(updates.value?.updates ?? []).map((u) => (
            <li key={u.seq} title={u.message ?? undefined}>
              {time(u.startedAt)} · {u.action} ({u.strategy}) {u.from ?? NONE} → {u.to ?? NONE}:{" "}
              <strong class={u.outcome === "failed" ? "error" : ""}>{u.outcome}</strong>
              {u.code !== null ? ` ${u.code}` : ""} in {ms(u.finishedAt - u.startedAt)}
            </li>
          ))}
        </ol>
      )}

      <h2>Recent errors</h2>
      {(errors.value?.recent ?? []).length === 0 ? (
        <p class="muted">{errors.error || "None."}</p>
      ) : (
        <ol class="history errors">
          {(errors.value?.recent ?? []).map((e, i) => (
            <li key={i}>
              <details>
                <summary>
                  {time(e.at)} · <strong>{e.code}</strong> {e.method ? `${e.method}: ` : ""}
                  {e.message}
                </summary>
                <pre>{JSON.stringify(e, null, 2)}</pre>
              </details>
            </li>
          ))}
        </ol>
      )}

      <h2>Log</h2>
      {logs.error !== "" ? (
        <p class="muted">{logs.error}</p>
      ) : (
        <pre class="log" tabIndex={0} aria-label="log lines" data-testid="log">
          {(logs.value?.entries ?? [])
            .map((l) => `${new Date(l.time).toISOString()} ${l.level.padEnd(5)} ${l.msg}\n`)
            .join("") || "No line from this module yet."}
        </pre>
      )}

      <div class="deps">
        <div>
          <h2>Manifest</h2>
          <pre class="json">{JSON.stringify(d.manifest, null, 2)}</pre>
        </div>
        <div>
          <h2>Configuration</h2>
          {config.error !== "" ? (
            <p class="error">{config.error}</p>
          ) : (
            config.value !== null && <ConfigPanel view={config.value} />
          )}
        </div>
      </div>
    </>
  );
}

/** A module's configuration as it gets it, secrets hidden, and where it came from. */
function ConfigPanel(props: { view: ConfigView }) {
  const v = props.view;
  return (
    <>
      <p class="muted">
        From {v.source}
        {v.key !== null ? ` (entry "${v.key}")` : ""};{" "}
        {v.live ? "what the running instance got" : "what its next start gets"}.
      </p>
      {v.problem !== null && (
        <p class="error">
          {v.problem.code}: {v.problem.message}
        </p>
      )}
      <pre class="json" data-testid="config">
        {JSON.stringify(v.config ?? {}, null, 2)}
      </pre>
      {v.redacted.length > 0 && <p class="muted">Hidden (secrets): {v.redacted.join(", ")}</p>}
    </>
  );
}
