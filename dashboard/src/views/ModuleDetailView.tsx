// One module: its controls, versions side by side, replicas, resource charts, recent errors, log
// lines, crashes and restarts, updates, manifest and (redacted) configuration.

import { api, seg } from "../api/client.js";
import type { ModuleDetail } from "../api/types.js";
import { duration, ms, NONE, time, where } from "../format.js";
import { moduleHref } from "../router.js";
import { usePolled } from "../usePolled.js";
import { Controls } from "./Controls.js";
import { DetailPanels } from "./DetailPanels.js";
import { ResourceCharts } from "./ResourceCharts.js";

export function ModuleDetailView(props: { ref_: string }) {
  const ref = props.ref_;
  const detail = usePolled(() => api<ModuleDetail>(`/v1/modules/${seg(ref)}`), ref);
  const d = detail.value;
  if (d === null)
    return detail.error !== "" ? (
      <p class="error" role="alert">
        {detail.error}
      </p>
    ) : (
      <p class="muted">Loading {ref}…</p>
    );
  return (
    <section class="view detail">
      {detail.error !== "" && (
        <p class="problem" role="alert">
          {detail.error} (what follows is from the last answer)
        </p>
      )}
      <header class="detail-head">
        <h1>
          {d.id} <span class="muted">{d.version}</span>{" "}
          <span class={`state s-${d.state}`} data-testid="detail-state">
            {d.state}
          </span>
        </h1>
        <p>{d.description}</p>
        <p class="muted">
          {d.kind} · {d.isolation} · {d.activation} · installed {time(d.installedAt)} from{" "}
          <code>{d.dir}</code>
        </p>
      </header>
      <Controls id={d.id} />
      <h2>Versions</h2>
      <div class="table-wrap">
        <table data-testid="versions">
          <thead>
            <tr>
              <th>version</th>
              <th>replica</th>
              <th>state</th>
              <th>where</th>
              <th class="num">calls</th>
              <th class="num">errors</th>
              <th class="num">p99</th>
              <th class="num">uptime</th>
              <th class="num">restarts</th>
            </tr>
          </thead>
          <tbody>
            {d.instances.map((i) => (
              <tr key={`${i.version}#${i.replica}`} data-version={i.version}>
                <td>{i.version}</td>
                <td>{i.replica === 0 ? "first" : `#${i.replica}`}</td>
                <td>
                  <span class={`state s-${i.state}`}>{i.state}</span>
                </td>
                <td data-testid="instance-where">{where(i.host)}</td>
                <td class="num">{i.calls}</td>
                <td class="num">{i.failedCalls ?? NONE}</td>
                <td class="num">{ms(i.p99Ms)}</td>
                <td class="num">{duration(i.uptimeMs)}</td>
                <td class="num">{i.restarts}</td>
              </tr>
            ))}
            {d.instances.length === 0 && (
              <tr>
                <td colSpan={9} class="muted">
                  Not loaded. Installed: {d.versions.join(", ")}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <p class="muted">Installed versions: {d.versions.join(", ")}</p>
      <div class="deps">
        <div>
          <h3>Requires</h3>
          <DepList deps={d.dependencies} />
        </div>
        <div>
          <h3>Required by</h3>
          <DepList deps={d.dependents} />
        </div>
      </div>
      <ResourceCharts id={d.id} />
      <DetailPanels detail={d} />
    </section>
  );
}

function DepList(props: { deps: ModuleDetail["dependencies"] }) {
  if (props.deps.length === 0) return <p class="muted">nothing</p>;
  return (
    <ul>
      {props.deps.map((dep) => (
        <li key={dep.id}>
          <a href={moduleHref(dep.id)}>{dep.id}</a> {dep.range}
          {dep.version ? ` → ${dep.version}` : ""}
          {dep.optional ? " (optional)" : ""}
        </li>
      ))}
    </ul>
  );
}
