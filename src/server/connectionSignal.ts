import { setMaxListeners } from "node:events";
import type { Socket } from "node:net";
import { ChipsetError, ErrorCodes } from "../errors/index.js";

const connectionAborts = new WeakMap<Socket, AbortController>();

/**
 * A signal aborted when the client's connection closes: a client that goes away cancels its
 * calls (the module sees its signal aborted). One per connection, not per call: making an
 * AbortController was the largest cost the API added to a call (BENCHMARKS.md, section 10).
 */
export function connectionSignal(socket: Socket): AbortSignal {
  let abort = connectionAborts.get(socket);
  if (abort === undefined) {
    const made = new AbortController();
    setMaxListeners(0, made.signal); // one listener per call in flight on the connection
    socket.once("close", () =>
      made.abort(new ChipsetError(ErrorCodes.ABORTED, "the HTTP client closed the connection")),
    );
    connectionAborts.set(socket, made);
    abort = made;
  }
  return abort.signal;
}
