import type { IoSink } from "./IoSink.js";

/** What the ledger reads of a socket (a `net.Socket`, or a TLS socket over one). */
export interface MeteredSocket {
  readonly bytesRead: number;
  readonly bytesWritten: number;
  once(event: "close", listener: () => void): unknown;
}

interface Entry {
  readonly socket: MeteredSocket;
  /** Who its bytes go to now: the lessee, else the module that opened it. */
  owner: IoSink | undefined;
  /** The module that opened or accepted it (a raw socket's bytes stay its). */
  readonly opener: IoSink | undefined;
  /** The request using it now (an HTTP request, an undici request). */
  lease: object | undefined;
  /** Released by a request and not leased since: what it carries next is the next request's. */
  idle: boolean;
  /** Bytes read and written when last charged. */
  read: number;
  written: number;
}

/**
 * Charges each socket's bytes to a module: to the module that opened or accepted it, and while a
 * request uses it (a keep-alive socket serves requests of several modules one after the other),
 * to the request's module. Bytes are charged at each change of hands, when the socket closes,
 * and at {@link flush} (before the counters are read), from the socket's own `bytesRead` and
 * `bytesWritten`.
 */
export class SocketLedger {
  private readonly entries = new Map<MeteredSocket, Entry>();

  /**
   * @param fromZero charge a socket first seen at a lease from its first byte (a child, where
   *   every socket is the module's); otherwise from the lease on (the runtime's thread, where a
   *   socket first seen then may have carried the runtime's own traffic before).
   */
  constructor(private readonly fromZero: boolean) {}

  /** A socket was opened or accepted by `opener` (nobody: not tracked, unless a request leases it later). */
  opened(socket: MeteredSocket, opener: IoSink | undefined): void {
    if (opener === undefined || this.entries.has(socket)) return;
    this.track(socket, opener, 0, 0);
  }

  /** A request of `owner` (nobody: undefined) starts using `socket`: its bytes are the request's from now on. */
  lease(socket: MeteredSocket, lease: object, owner: IoSink | undefined): void {
    let entry = this.entries.get(socket);
    if (entry === undefined) {
      if (owner === undefined) return; // nobody's request on a socket nobody has: nothing to charge
      entry = this.fromZero
        ? this.track(socket, undefined, 0, 0)
        : this.track(socket, undefined, socket.bytesRead, socket.bytesWritten);
      entry.idle = true; // what it carried before (from its first byte, or nothing) is this request's
    }
    if (entry.idle) {
      // What went out since the last request ended is this request's own start (Node 20
      // announces an http request after writing its head).
      entry.owner = owner;
      this.charge(entry);
    } else {
      this.charge(entry);
      entry.owner = owner;
    }
    entry.lease = lease;
    entry.idle = false;
  }

  /** The request `lease` is done with `socket`: its bytes are charged, the socket goes back to its opener. */
  release(socket: MeteredSocket, lease: object): void {
    const entry = this.entries.get(socket);
    if (entry === undefined || entry.lease !== lease) return;
    this.charge(entry);
    entry.owner = entry.opener;
    entry.lease = undefined;
    entry.idle = true;
  }

  /** Charges what every open socket carried since it was last charged. */
  flush(): void {
    for (const entry of this.entries.values()) this.charge(entry);
  }

  /** How many sockets are followed (open and charged to someone). */
  get size(): number {
    return this.entries.size;
  }

  private track(socket: MeteredSocket, opener: IoSink | undefined, read: number, written: number): Entry {
    const entry: Entry = { socket, owner: opener, opener, lease: undefined, idle: false, read, written };
    this.entries.set(socket, entry);
    socket.once("close", () => {
      this.charge(entry);
      this.entries.delete(socket);
    });
    return entry;
  }

  private charge(entry: Entry): void {
    const read = entry.socket.bytesRead;
    const written = entry.socket.bytesWritten;
    // A destroyed socket forgets the writes it never sent: never charge a byte twice.
    if (entry.owner !== undefined) {
      if (read > entry.read) entry.owner.netIn += read - entry.read;
      if (written > entry.written) entry.owner.netOut += written - entry.written;
    }
    entry.read = Math.max(entry.read, read);
    entry.written = Math.max(entry.written, written);
  }
}
