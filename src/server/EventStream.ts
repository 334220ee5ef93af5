import type { ServerResponse } from "node:http";
import type { Disposable } from "../common/Disposable.js";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import type { Runtime } from "../runtime/Runtime.js";
import { runtimeEventNames } from "./eventNames.js";

/** Limits of the event stream; every field may be omitted. */
export interface EventStreamOptions {
  /** Events kept for clients that resume with `Last-Event-ID`. Default 1 000. */
  capacity?: number;
  /** Clients streaming at once; one more is refused (`CHIP_ERR_EVENT_STREAMS_FULL`, 503). Default 16. */
  maxClients?: number;
  /** Bytes a slow client may leave unread before it is cut off (it can resume). Default 1 MiB. */
  maxUnreadBytes?: number;
  /** A comment line this often keeps proxies from closing a quiet stream, in ms (0: none). Default 15 000. */
  heartbeatMs?: number;
}

/** One event as Server-Sent Events: its frame is formatted once, whoever receives it. */
interface Entry {
  id: number;
  frame: string;
}

/**
 * Every runtime event as Server-Sent Events (`id:` increasing from 1, `event:` its name, `data:`
 * its JSON, ChipsetErrors as their `toJSON()`), with the last `capacity` kept in a ring so that a
 * client that reconnects with `Last-Event-ID` misses nothing the ring still holds.
 */
export class EventStream {
  private readonly capacity: number;
  private readonly maxClients: number;
  private readonly maxUnreadBytes: number;
  private readonly ring: Array<Entry | undefined>;
  private readonly clients = new Set<ServerResponse>();
  private readonly subscriptions: Disposable[];
  private readonly heartbeat: NodeJS.Timeout | undefined;
  private lastId = 0;

  constructor(runtime: Pick<Runtime, "on">, options: EventStreamOptions = {}) {
    this.capacity = options.capacity ?? 1_000;
    this.maxClients = options.maxClients ?? 16;
    this.maxUnreadBytes = options.maxUnreadBytes ?? 1 << 20;
    this.ring = new Array<Entry | undefined>(this.capacity);
    this.subscriptions = runtimeEventNames.map((name) =>
      runtime.on(name, (event) => this.publish(name, event)),
    );
    const every = options.heartbeatMs ?? 15_000;
    if (every > 0) {
      this.heartbeat = setInterval(() => this.broadcast(":\n\n"), every);
      this.heartbeat.unref();
    }
  }

  /** Clients streaming now. */
  get clientCount(): number {
    return this.clients.size;
  }

  /**
   * Streams to `res` from now on, after the kept events newer than `lastEventId` (the
   * `Last-Event-ID` header; an id newer than any sent here came from an earlier host, and gets the
   * whole ring). When events it asked for have left the ring, a `stream.gap` event says which.
   * Throws as {@link checkRoom} does.
   */
  attach(res: ServerResponse, lastEventId: string | undefined): void {
    this.checkRoom();
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      // The socket of a stream is not reused: when the stream ends, so does the connection, and a
      // closing server need not wait for the client to drop it.
      connection: "close",
      "x-accel-buffering": "no",
    });
    this.clients.add(res);
    const socket = res.socket;
    res.on("close", () => {
      this.clients.delete(res);
      // A stream's connection is never reused: close it with the stream, or it lingers until the client drops it.
      socket?.destroy();
    });
    res.write(`retry: 1000\n\n`);
    const after = parseEventId(lastEventId);
    if (after !== undefined) this.replay(res, after > this.lastId ? 0 : after);
  }

  /** Throws `CHIP_ERR_EVENT_STREAMS_FULL` when `maxClients` are streaming already. */
  checkRoom(): void {
    if (this.clients.size >= this.maxClients)
      throw new ChipsetError(
        ErrorCodes.EVENT_STREAMS_FULL,
        `the host streams events to ${this.maxClients} clients already; close one, or retry later`,
        { details: { maxClients: this.maxClients } },
      );
  }

  /** Ends every stream and stops listening to the runtime. */
  dispose(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    for (const s of this.subscriptions) s.dispose();
    for (const res of this.clients) res.destroy();
    this.clients.clear();
  }

  private replay(res: ServerResponse, after: number): void {
    const oldest = Math.max(1, this.lastId - this.capacity + 1);
    if (after + 1 < oldest && this.lastId > 0)
      res.write(`event: stream.gap\ndata: ${JSON.stringify({ after, oldest })}\n\n`);
    for (let id = Math.max(after + 1, oldest); id <= this.lastId; id++) {
      const entry = this.ring[id % this.capacity];
      if (entry?.id === id) res.write(entry.frame);
    }
  }

  private publish(name: string, event: unknown): void {
    if (LIVE_ONLY.has(name)) {
      // No id and no place in the ring: a resuming client is not replayed a second's figures it
      // missed (the next round brings fresh ones), and they would crowd the events out of the ring.
      this.broadcast(`event: ${name}\ndata: ${serialise(event)}\n\n`);
      return;
    }
    const id = ++this.lastId;
    const frame = `id: ${id}\nevent: ${name}\ndata: ${serialise(event)}\n\n`;
    this.ring[id % this.capacity] = { id, frame };
    this.broadcast(frame);
  }

  private broadcast(frame: string): void {
    for (const res of this.clients) {
      res.write(frame);
      // A client that does not read is cut off before its backlog grows without bound; it may resume.
      if (res.writableLength > this.maxUnreadBytes) {
        this.clients.delete(res);
        res.destroy();
      }
    }
  }
}

/**
 * Events sent to the clients connected now and kept for no one: `resources.sampled` comes every
 * second with every module's figures (about 80 KB with 200 modules), and only its latest matters.
 */
const LIVE_ONLY: ReadonlySet<string> = new Set(["resources.sampled"]);

/** A `Last-Event-ID` as a number; undefined when absent or not one of ours. */
function parseEventId(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,15}$/.test(text.trim())) return undefined;
  return Number(text.trim());
}

/** An event's JSON: ChipsetErrors by their `toJSON()`, other errors by name and message. */
function serialise(event: unknown): string {
  try {
    return JSON.stringify(event, (_key, value: unknown) =>
      value instanceof Error && !(value instanceof ChipsetError)
        ? { name: value.name, message: value.message }
        : typeof value === "bigint"
          ? value.toString()
          : value,
    );
  } catch (err) {
    return JSON.stringify({ unserialisable: err instanceof Error ? err.message : String(err) });
  }
}
