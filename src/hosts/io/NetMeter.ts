import diagnostics from "node:diagnostics_channel";
import net from "node:net";
import type { IoSink, SinkOf } from "./IoSink.js";
import { SocketLedger, type MeteredSocket } from "./SocketLedger.js";

/** The parts of an `http.ClientRequest` the meter reads. */
interface HttpRequest {
  socket?: MeteredSocket | null;
  once(event: "socket", listener: (socket: MeteredSocket) => void): unknown;
  once(event: "close", listener: () => void): unknown;
}

type Connect = typeof net.Socket.prototype.connect;

interface Response {
  once(event: "end", listener: () => void): unknown;
}

/**
 * Counts the bytes each module sends and receives over the network, from Node's
 * diagnostics_channel and one patch:
 *
 * - `net.client.socket`, `net.server.socket`, `undici:client:connected`: a socket opened or
 *   accepted (fetch's TLS sockets included) is the current module's, from its first byte; so is
 *   one connected by `net.Socket.prototype.connect` (patched: `new net.Socket().connect()`, as
 *   database drivers do, and `tls.connect()` publish nothing);
 * - `http.client.request.created` (Node 24; Node 20 has only `http.client.request.start`), and
 *   `undici:request:create` + `undici:client:sendHeaders` ... `undici:request:trailers` /
 *   `undici:request:error`: while a request uses a socket, its bytes are the request's module's,
 *   the module current where the request was made. So a keep-alive socket shared by several
 *   modules charges each the bytes of its own requests.
 *
 * Bytes are read from the socket's `bytesRead` / `bytesWritten` (the TCP payload, without IP and
 * TCP headers; a TLS socket's bytes before encryption) when the socket changes hands, when it
 * closes and at {@link flush}.
 */
export class NetMeter {
  private readonly ledger: SocketLedger;
  private readonly subscriptions: [string, (message: unknown) => void][] = [];
  private connect: Connect | undefined;
  private readonly seen = new WeakSet<object>();
  /** undici requests: whose they are, and the socket they were sent on. */
  private readonly undiciOwners = new WeakMap<object, IoSink | undefined>();
  private readonly undiciSockets = new WeakMap<object, MeteredSocket>();
  /** http requests: the socket each runs on. */
  private readonly httpSockets = new WeakMap<object, MeteredSocket>();

  /** @param fromZero see {@link SocketLedger}'s constructor. */
  constructor(
    private readonly sinkOf: SinkOf,
    fromZero: boolean,
  ) {
    this.ledger = new SocketLedger(fromZero);
  }

  install(): void {
    const opened = (message: unknown) => {
      const socket = (message as { socket?: MeteredSocket }).socket;
      if (socket !== undefined) this.ledger.opened(socket, this.sinkOf());
    };
    this.on("net.client.socket", opened);
    const connect = (this.connect = Reflect.get<net.Socket, "connect">(net.Socket.prototype, "connect"));
    const { ledger, sinkOf } = this;
    net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
      ledger.opened(this, sinkOf());
      return Reflect.apply(connect, this, args) as net.Socket;
    };
    this.on("net.server.socket", opened);
    this.on("undici:client:connected", opened);
    const request = (message: unknown) => this.httpRequest((message as { request: HttpRequest }).request);
    this.on("http.client.request.created", request);
    this.on("http.client.request.start", request);
    // Published when the response's head arrives (despite its name); its end ends the request's lease.
    this.on("http.client.response.finish", (message) => {
      const { request, response } = message as { request: HttpRequest; response: Response };
      const socket = this.httpSockets.get(request);
      if (socket !== undefined) response.once("end", () => this.ledger.release(socket, request));
    });
    this.on("undici:request:create", (message) => {
      const { request } = message as { request: object };
      this.undiciOwners.set(request, this.sinkOf());
    });
    this.on("undici:client:sendHeaders", (message) => {
      const { request, socket } = message as { request: object; socket?: MeteredSocket };
      if (socket === undefined) return;
      this.undiciSockets.set(request, socket);
      this.ledger.lease(socket, request, this.undiciOwners.get(request));
    });
    const done = (message: unknown) => {
      const { request } = message as { request: object };
      const socket = this.undiciSockets.get(request);
      if (socket !== undefined) this.ledger.release(socket, request);
    };
    this.on("undici:request:trailers", done);
    this.on("undici:request:error", done);
  }

  uninstall(): void {
    if (this.connect !== undefined) net.Socket.prototype.connect = this.connect;
    this.connect = undefined;
    for (const [name, listener] of this.subscriptions) diagnostics.unsubscribe(name, listener);
    this.subscriptions.length = 0;
  }

  /** Charges what open sockets carried since they were last charged (before counters are read). */
  flush(): void {
    this.ledger.flush();
  }

  private on(name: string, listener: (message: unknown) => void): void {
    diagnostics.subscribe(name, listener);
    this.subscriptions.push([name, listener]);
  }

  /** An http request (seen once, at creation or at its start): its socket is its own while it runs. */
  private httpRequest(req: HttpRequest): void {
    if (this.seen.has(req)) return;
    this.seen.add(req);
    const owner = this.sinkOf();
    const use = (socket: MeteredSocket) => {
      this.ledger.lease(socket, req, owner);
      this.httpSockets.set(req, socket);
      // Not a "response" listener: with none, Node discards an unread response, as it must go on doing.
      req.once("close", () => this.ledger.release(socket, req));
    };
    if (req.socket) use(req.socket);
    else req.once("socket", use);
  }
}
