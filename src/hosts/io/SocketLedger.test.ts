import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import type { IoSink } from "./IoSink.js";
import { SocketLedger } from "./SocketLedger.js";

/** A socket whose byte counts the test moves by hand. */
class FakeSocket extends EventEmitter {
  bytesRead = 0;
  bytesWritten = 0;
  carry(inBytes: number, outBytes: number): void {
    this.bytesRead += inBytes;
    this.bytesWritten += outBytes;
  }
}

const sink = (): IoSink => ({ fsRead: 0, fsWrite: 0, netIn: 0, netOut: 0 });

describe("SocketLedger", () => {
  it("charges a socket to the module that opened it from its first byte, at each flush and when it closes", () => {
    const ledger = new SocketLedger(false);
    const a = sink();
    const socket = new FakeSocket();
    ledger.opened(socket, a);
    socket.carry(100, 10);
    ledger.flush();
    expect([a.netIn, a.netOut]).toEqual([100, 10]);
    socket.carry(5, 5);
    socket.emit("close");
    expect([a.netIn, a.netOut]).toEqual([105, 15]);
    expect(ledger.size).toBe(0);
  });

  it("charges each request on a shared keep-alive socket to its own module", () => {
    const ledger = new SocketLedger(false);
    const [a, b] = [sink(), sink()];
    const socket = new FakeSocket();
    ledger.opened(socket, a);
    const first = {};
    ledger.lease(socket, first, a);
    socket.carry(1000, 80);
    ledger.release(socket, first);
    // Node 20 announces an http request after its head went out: those bytes are the next request's.
    socket.carry(0, 70);
    const second = {};
    ledger.lease(socket, second, b);
    socket.carry(500, 0);
    ledger.release(socket, first); // a stale release changes nothing
    ledger.flush();
    expect([a.netIn, a.netOut]).toEqual([1000, 80]);
    expect([b.netIn, b.netOut]).toEqual([500, 70]);
  });

  it("charges nobody for the runtime's own request on a module's socket", () => {
    const ledger = new SocketLedger(false);
    const a = sink();
    const socket = new FakeSocket();
    ledger.opened(socket, a);
    ledger.lease(socket, {}, undefined);
    socket.carry(300, 30);
    ledger.flush();
    expect([a.netIn, a.netOut]).toEqual([0, 0]);
  });

  it("charges a socket first seen at a lease from then on in the runtime's thread, from its first byte in a child", () => {
    for (const fromZero of [false, true]) {
      const ledger = new SocketLedger(fromZero);
      const a = sink();
      const socket = new FakeSocket();
      socket.carry(4000, 400); // before the ledger knew it (the runtime's own traffic, or a TLS handshake)
      ledger.lease(socket, {}, a);
      socket.carry(10, 1);
      ledger.flush();
      expect(a.netIn).toBe(fromZero ? 4010 : 10);
      expect(a.netOut).toBe(fromZero ? 401 : 1);
    }
  });

  it("never charges a byte twice when a destroyed socket forgets its unsent writes", () => {
    const ledger = new SocketLedger(false);
    const a = sink();
    const socket = new FakeSocket();
    ledger.opened(socket, a);
    socket.carry(0, 100);
    ledger.flush();
    socket.bytesWritten = 60;
    ledger.flush();
    socket.bytesWritten = 120;
    socket.emit("close");
    expect(a.netOut).toBe(120);
  });
});
