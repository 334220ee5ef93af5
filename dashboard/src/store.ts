// What the page knows of the host, kept fresh from the event stream. Events are queued and applied
// at most every 100 ms, in an animation frame, so a burst of a thousand events costs one render,
// not a thousand, and a flood of them ten renders a second, not sixty.

import { useEffect, useState } from "preact/hooks";
import { api } from "./api/client.js";
import { openEventStream } from "./api/eventStream.js";
import type { StreamEvent } from "./api/sseParser.js";
import type { ModuleView } from "./api/types.js";
import { byVersion, wholeModule, type Sample } from "./samples.js";

/** One line of the live event log. */
export interface LoggedEvent {
  seq: number;
  id: number | null;
  at: number;
  name: string;
  data: unknown;
}

/** The most events the log keeps (older ones leave). */
export const EVENT_RING = 5_000;
/** How long events gather before they are applied and drawn (ms): a state shows within this. */
const FLUSH_MS = 100;
/** How often the module table is fetched while events say it changed, at most (ms). */
const REFRESH_MS = 500;
/** How often it is fetched anyway, for what no event carries (uptime, cumulative counts) (ms). */
const POLL_MS = 5_000;

type Listener = () => void;

export class Store {
  modules: ModuleView[] = [];
  /** Calls per second of each `id@version`, from the last two table fetches. */
  rates = new Map<string, number>();
  events: LoggedEvent[] = [];
  /** Events received in all, including those the ring dropped. */
  received = 0;
  connected = false;
  streamReason = "";
  error = "";
  /** Bumped on every change: views compare it to skip work. */
  revision = 0;

  private readonly listeners = new Set<Listener>();
  private readonly queue: StreamEvent[] = [];
  /** The pending flush: its timer, then its animation frame (0: none pending). */
  private flushTimer = 0;
  private frame = 0;
  private dirty = false;
  private fetching = false;
  private lastFetch = 0;
  private lastCalls = new Map<string, { calls: number; at: number }>();
  private timers: number[] = [];
  private close: () => void = () => undefined;

  /** Starts the stream and the table's refreshes. */
  start(): void {
    this.close = openEventStream({
      onEvent: (e) => this.enqueue(e),
      onStatus: (connected, reason) => {
        this.connected = connected;
        this.streamReason = reason ?? "";
        if (connected) this.dirty = true;
        this.changed();
      },
    });
    void this.refresh();
    this.timers.push(window.setInterval(() => this.tick(), REFRESH_MS));
  }

  /** Closes the stream and stops every timer; {@link start} begins afresh. */
  stop(): void {
    this.close();
    for (const t of this.timers.splice(0)) clearInterval(t);
    clearTimeout(this.flushTimer);
    cancelAnimationFrame(this.frame);
    this.flushTimer = 0;
    this.frame = 0;
    this.queue.length = 0;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Asks for a table fetch at the next refresh (after a control, say). */
  invalidate(): void {
    this.dirty = true;
    this.tick();
  }

  private tick(): void {
    const due = this.dirty || Date.now() - this.lastFetch >= POLL_MS;
    if (due && !this.fetching) void this.refresh();
  }

  private async refresh(): Promise<void> {
    this.fetching = true;
    this.dirty = false;
    try {
      const { modules } = await api<{ modules: ModuleView[] }>("/v1/modules");
      this.modules = modules.map(wholeModule);
      this.rates = this.measureRates(modules);
      this.error = "";
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.fetching = false;
      this.lastFetch = Date.now();
      this.changed();
    }
  }

  private measureRates(modules: ModuleView[]): Map<string, number> {
    const now = performance.now();
    const rates = new Map<string, number>();
    const next = new Map<string, { calls: number; at: number }>();
    for (const m of modules) {
      if (m.instance === null) continue;
      const key = `${m.id}@${m.version}`;
      const calls = [m.instance, ...m.replicas.slice(1)].reduce((sum, i) => sum + i.calls, 0);
      const before = this.lastCalls.get(key);
      if (before !== undefined && now > before.at && calls >= before.calls)
        rates.set(key, ((calls - before.calls) * 1000) / (now - before.at));
      next.set(key, { calls, at: now });
    }
    this.lastCalls = next;
    return rates;
  }

  private enqueue(event: StreamEvent): void {
    this.queue.push(event);
    // A tab that draws nothing for long (hidden: no animation frames) keeps the newest events only,
    // and fetches the table afresh when it shows again.
    if (this.queue.length > EVENT_RING) {
      this.queue.splice(0, this.queue.length - EVENT_RING);
      this.dirty = true;
    }
    if (this.flushTimer !== 0 || this.frame !== 0) return;
    this.flushTimer = window.setTimeout(() => {
      this.flushTimer = 0;
      // Hidden, a tab runs no animation frame: apply the events now, there is nothing to draw.
      if (document.hidden) this.flush();
      else this.frame = requestAnimationFrame(() => this.flush());
    }, FLUSH_MS);
  }

  private flush(): void {
    this.frame = 0;
    const batch = this.queue.splice(0);
    const now = Date.now();
    const states = new Map<string, string>();
    const samples = new Map<string, Sample>();
    for (const e of batch) {
      this.received += 1;
      // A second's figures of every module: shown in the table and charts, not logged (only the
      // latest matters, and 5 000 of them would hold hundreds of MB).
      if (e.name !== "resources.sampled")
        this.events.push({ seq: this.received, id: e.id, at: now, name: e.name, data: e.data });
      this.apply(e, states, samples);
    }
    if (this.events.length > EVENT_RING) this.events.splice(0, this.events.length - EVENT_RING);
    if (states.size > 0 || samples.size > 0)
      this.modules = this.modules.map((m) => {
        const key = `${m.id}@${m.version}`;
        return withSample(withState(m, states.get(key)), samples.get(key));
      });
    for (const [key, sample] of samples)
      if (sample.intervalMs > 0) this.rates.set(key, (sample.calls * 1000) / sample.intervalMs);
    this.changed();
  }

  /** Notes what an event says, to show at once (a module's new state); the next fetch brings the rest. */
  private apply(e: StreamEvent, states: Map<string, string>, samples: Map<string, Sample>): void {
    if (e.name === "stream.gap") this.dirty = true;
    if (e.name === "resources.sampled") {
      // A later round replaces an earlier one of the same batch.
      for (const [key, sample] of byVersion((e.data as { samples: Sample[] }).samples))
        samples.set(key, sample);
      return;
    }
    if (!/^(module|replica|replicas|breaker|update)\./.test(e.name)) return;
    this.dirty = true;
    const data = e.data as { id?: string; version?: string; to?: string };
    const state = e.name === "module.crashed" ? "crashed" : e.name === "module.state" ? data.to : undefined;
    if (state !== undefined) states.set(`${data.id}@${data.version}`, state);
  }

  private changed(): void {
    this.revision += 1;
    for (const l of this.listeners) l();
  }
}

/** `m` with its instance's latest sample and p99, or `m` itself without a sample. */
function withSample(m: ModuleView, sample: Sample | undefined): ModuleView {
  if (sample === undefined || m.instance === null) return m;
  return { ...m, instance: { ...m.instance, resources: sample, p99Ms: sample.p99Ms ?? m.instance.p99Ms } };
}

/** `m` in `state` (a new object, so that its row renders again), or `m` itself when unchanged. */
function withState(m: ModuleView, state: string | undefined): ModuleView {
  if (state === undefined || state === m.state) return m;
  return { ...m, state, instance: m.instance === null ? null : { ...m.instance, state } };
}

/** The page's store (one per tab). */
export const store = new Store();

/** Re-renders the calling component when the store changes. */
export function useStore(): Store {
  const [, setRevision] = useState(store.revision);
  useEffect(() => store.subscribe(() => setRevision(store.revision)), []);
  return store;
}
