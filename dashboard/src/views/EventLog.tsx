// The host's event stream as a live log, newest first, filtered by family and text. The store keeps
// the last 5 000 events; the log lists the newest 2 000 that match and draws those in view.

import { Component } from "preact";
import { useState } from "preact/hooks";
import { EVENT_RING, type LoggedEvent, useStore } from "../store.js";
import { Spacer, useVisibleRows } from "../useVisibleRows.js";

/** The most matching events listed (only those in view are drawn). */
const SHOWN = 2_000;
const families = [
  "module",
  "replica",
  "update",
  "breaker",
  "resource",
  "trigger",
  "call",
  "runtime",
  "stream",
];

/** An event's payload in lower case, for the filter: made once per event, when first filtered. */
const texts = new WeakMap<LoggedEvent, string>();
function searchable(e: LoggedEvent): string {
  let text = texts.get(e);
  if (text === undefined) {
    text = JSON.stringify(e.data).toLowerCase();
    texts.set(e, text);
  }
  return text;
}

/** The newest events matching `family` and `needle`, at most {@link SHOWN}. */
function matching(events: LoggedEvent[], family: string, needle: string): LoggedEvent[] {
  const out: LoggedEvent[] = [];
  for (let i = events.length - 1; i >= 0 && out.length < SHOWN; i -= 1) {
    const e = events[i];
    if (e === undefined) continue;
    if (family !== "" && e.name.slice(0, e.name.indexOf(".")) !== family) continue;
    if (needle !== "" && !e.name.includes(needle) && !searchable(e).includes(needle)) continue;
    out.push(e);
  }
  return out;
}

export function EventLog() {
  const s = useStore();
  const [family, setFamily] = useState("");
  const [text, setText] = useState("");
  const [frozen, setFrozen] = useState<LoggedEvent[] | null>(null);
  const shown = matching(frozen ?? s.events, family, text.trim().toLowerCase());
  const rows = useVisibleRows(shown.length);
  return (
    <section class="view events">
      <div class="filters" role="search">
        <select aria-label="event family" value={family} onChange={(e) => setFamily(e.currentTarget.value)}>
          <option value="">every event</option>
          {families.map((f) => (
            <option key={f} value={f}>
              {f}.*
            </option>
          ))}
        </select>
        <input
          type="search"
          placeholder="Filter: a name, a module, a code"
          aria-label="filter events"
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
        />
        <button
          type="button"
          onClick={() => setFrozen(frozen === null ? [...s.events] : null)}
          aria-pressed={frozen !== null}
        >
          {frozen === null ? "Pause" : "Resume"}
        </button>
        <span class="count">
          {s.received} received, last {Math.min(s.events.length, EVENT_RING)} kept
        </span>
      </div>
      <div class="table-wrap scroll" ref={rows.ref}>
        <table class="eventlog">
          <thead>
            <tr>
              <th class="num">id</th>
              <th>time</th>
              <th>event</th>
              <th>what</th>
            </tr>
          </thead>
          <tbody>
            <Spacer px={rows.before} columns={4} />
            {shown.slice(rows.start, rows.end).map((e) => (
              <EventRow key={e.seq} e={e} />
            ))}
            <Spacer px={rows.after} columns={4} />
          </tbody>
        </table>
        {shown.length === 0 && <p class="muted">No event yet{family || text ? " that matches" : ""}.</p>}
      </div>
    </section>
  );
}

/** One logged event: drawn once, never changed. */
class EventRow extends Component<{ e: LoggedEvent }> {
  override shouldComponentUpdate(next: { e: LoggedEvent }): boolean {
    return next.e !== this.props.e;
  }

  override render() {
    const { e } = this.props;
    return (
      <tr data-row data-event={e.name}>
        <td class="num">{e.id ?? ""}</td>
        <td>{new Date(e.at).toLocaleTimeString()}</td>
        <td class={`ev ev-${e.name.split(".")[0] ?? ""}`}>{e.name}</td>
        <td class="data">{summary(e.data)}</td>
      </tr>
    );
  }
}

/** An event's payload on one line: its module first, then the rest. */
function summary(data: unknown): string {
  if (data === null || typeof data !== "object") return String(data);
  const { id, version, ...rest } = data as { id?: unknown; version?: unknown };
  const head = typeof id === "string" ? `${id}${typeof version === "string" ? `@${version}` : ""} ` : "";
  const tail = JSON.stringify(rest);
  return head + (tail.length > 240 ? `${tail.slice(0, 240)}…` : tail);
}
