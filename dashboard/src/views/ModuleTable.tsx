// Every registered module version, live: state, where it runs, replicas, CPU, memory, calls per
// second, p99, errors, restarts and breakers; with a search and filters by kind and state.

import { Component } from "preact";
import { useMemo, useState } from "preact/hooks";
import type { Breaker, ModuleView } from "../api/types.js";
import { bytes, ms, NONE, percent, rate, where } from "../format.js";
import { moduleHref } from "../router.js";
import { useStore } from "../store.js";
import { Spacer, useVisibleRows } from "../useVisibleRows.js";

/** The worst state among a module's breakers, or null with none. */
function breakerState(breakers: Breaker[]): string | null {
  const order = ["open", "isolated", "half-open", "closed"];
  let worst: string | null = null;
  for (const b of breakers)
    if (worst === null || order.indexOf(b.state) < order.indexOf(worst)) worst = b.state;
  return worst;
}

/** The module's memory as sampled: its process's RSS, else its thread's heap. */
function memory(m: ModuleView): number | null {
  const r = m.instance?.resources;
  return r ? (r.memoryBytes ?? r.rssBytes ?? r.heapUsedBytes) : null;
}

/** One row; renders again only when its module or its rate changed. */
class Row extends Component<{ m: ModuleView; rate: number | undefined }> {
  override shouldComponentUpdate(next: { m: ModuleView; rate: number | undefined }): boolean {
    return next.m !== this.props.m || next.rate !== this.props.rate;
  }

  override render() {
    const { m, rate: perSecond } = this.props;
    const i = m.instance;
    const breaker = breakerState(m.breakers);
    const replicas = m.replicas.length;
    return (
      <tr data-row data-module={m.id} data-version={m.version} data-state={m.state}>
        <td class="name">
          <a href={moduleHref(m.id)}>{m.id}</a>
        </td>
        <td>{m.version}</td>
        <td>{m.kind}</td>
        <td>
          <span class={`state s-${m.state}`} data-testid="state">
            {m.state}
          </span>
        </td>
        <td data-testid="where">{i ? where(i.host) : m.isolation}</td>
        <td class="num">{replicas > 0 ? replicas : i ? 1 : NONE}</td>
        <td class="num">{percent(i?.resources?.cpuPercent)}</td>
        <td class="num">{bytes(memory(m))}</td>
        <td class="num">{i ? rate(perSecond ?? null) : NONE}</td>
        <td class="num">{ms(i?.p99Ms)}</td>
        <td class="num">{i?.failedCalls ?? NONE}</td>
        <td class="num">{i ? i.restarts : NONE}</td>
        <td>{breaker === null ? NONE : <span class={`breaker b-${breaker}`}>{breaker}</span>}</td>
      </tr>
    );
  }
}

export function ModuleTable() {
  const s = useStore();
  const [search, setSearch] = useState("");
  const [kind, setKind] = useState("");
  const [state, setState] = useState("");
  const kinds = useMemo(() => [...new Set(s.modules.map((m) => m.kind))].sort(), [s.modules]);
  const states = useMemo(() => [...new Set(s.modules.map((m) => m.state))].sort(), [s.modules]);
  const needle = search.trim().toLowerCase();
  const shown = s.modules.filter(
    (m) =>
      (kind === "" || m.kind === kind) &&
      (state === "" || m.state === state) &&
      (needle === "" || m.id.toLowerCase().includes(needle) || m.description.toLowerCase().includes(needle)),
  );
  const rows = useVisibleRows(shown.length);
  return (
    <section class="view">
      <div class="filters" role="search">
        <input
          type="search"
          placeholder="Search modules"
          aria-label="search modules"
          value={search}
          onInput={(e) => setSearch(e.currentTarget.value)}
        />
        <select aria-label="kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
          <option value="">every kind</option>
          {kinds.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
        <select aria-label="state" value={state} onChange={(e) => setState(e.currentTarget.value)}>
          <option value="">every state</option>
          {states.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
        <span class="count">
          {shown.length} of {s.modules.length}
        </span>
        {s.error !== "" && <span class="error">{s.error}</span>}
      </div>
      <div class="table-wrap scroll" ref={rows.ref}>
        <table class="modules">
          <thead>
            <tr>
              <th class="name">module</th>
              <th>version</th>
              <th>kind</th>
              <th>state</th>
              <th>where</th>
              <th class="num">replicas</th>
              <th class="num">CPU</th>
              <th class="num">memory</th>
              <th class="num">calls/s</th>
              <th class="num">p99</th>
              <th class="num">errors</th>
              <th class="num">restarts</th>
              <th>breaker</th>
            </tr>
          </thead>
          <tbody>
            <Spacer px={rows.before} columns={13} />
            {shown.slice(rows.start, rows.end).map((m) => (
              <Row key={`${m.id}@${m.version}`} m={m} rate={s.rates.get(`${m.id}@${m.version}`)} />
            ))}
            <Spacer px={rows.after} columns={13} />
          </tbody>
        </table>
      </div>
    </section>
  );
}
