// The host's event stream as a live log, newest first, filtered by family and text. The store keeps
// the last 5 000 events; the page draws only the newest 300 that match.

import { useState } from "preact/hooks";
import { EVENT_RING, type LoggedEvent, useStore } from "../store.js";

const SHOWN = 300;
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

/** The newest events matching `family` and `needle`, at most {@link SHOWN}. */
function matching(events: LoggedEvent[], family: string, needle: string): LoggedEvent[] {
  const out: LoggedEvent[] = [];
  for (let i = events.length - 1; i >= 0 && out.length < SHOWN; i -= 1) {
    const e = events[i];
    if (e === undefined) continue;
    if (family !== "" && !e.name.startsWith(family)) continue;
    if (needle !== "" && !e.name.includes(needle) && !JSON.stringify(e.data).toLowerCase().includes(needle))
      continue;
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
      <div class="table-wrap">
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
            {shown.map((e) => (
              <tr key={e.seq} data-event={e.name}>
                <td class="num">{e.id ?? ""}</td>
                <td>{new Date(e.at).toLocaleTimeString()}</td>
                <td class={`ev ev-${e.name.split(".")[0] ?? ""}`}>{e.name}</td>
                <td class="data">{summary(e.data)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {shown.length === 0 && <p class="muted">No event yet{family || text ? " that matches" : ""}.</p>}
      </div>
    </section>
  );
}

/** An event's payload on one line: its module first, then the rest. */
function summary(data: unknown): string {
  if (data === null || typeof data !== "object") return String(data);
  const { id, version, ...rest } = data as { id?: unknown; version?: unknown };
  const head = typeof id === "string" ? `${id}${typeof version === "string" ? `@${version}` : ""} ` : "";
  const tail = JSON.stringify(rest);
  return head + (tail.length > 240 ? `${tail.slice(0, 240)}…` : tail);
}
