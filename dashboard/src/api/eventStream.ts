// The page's one connection to `GET /v1/events` (the host serves 16 at most: every view shares it).
// Reconnects after the server's `retry:` delay, resuming after the last event it saw.

import { ApiError, authHeaders } from "./client.js";
import { SseParser, type StreamEvent } from "./sseParser.js";

/** What the connection tells the page besides the events. */
export interface StreamCallbacks {
  onEvent(event: StreamEvent): void;
  /** Connected (`true`) or lost (`false`, with why); after a reconnect the page refetches what it shows. */
  onStatus(connected: boolean, reason?: string): void;
}

/**
 * Opens the stream and keeps it open until the returned function is called. A refusal (401, or the
 * host's client limit) is reported through `onStatus` and retried like a lost connection.
 */
export function openEventStream(callbacks: StreamCallbacks): () => void {
  const abort = new AbortController();
  let lastId: number | null = null;
  let retryMs = 1_000;

  const connect = async (): Promise<void> => {
    const headers = authHeaders();
    if (lastId !== null) headers["last-event-id"] = String(lastId);
    const res = await fetch("/v1/events", { headers, signal: abort.signal });
    if (!res.ok || res.body === null) {
      const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
      throw new ApiError(res.status, body.code ?? `HTTP_${res.status}`, body.message ?? res.statusText);
    }
    callbacks.onStatus(true);
    const parser = new SseParser((event) => {
      if (event.id !== null) lastId = event.id;
      callbacks.onEvent(event);
    });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.push(value);
      retryMs = parser.retryMs;
    }
  };

  const loop = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      try {
        await connect();
        callbacks.onStatus(false, "the host closed the stream");
      } catch (e) {
        if (abort.signal.aborted) return;
        callbacks.onStatus(false, e instanceof ApiError ? `${e.code}: ${e.message}` : (e as Error).message);
      }
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  };
  void loop();
  return () => abort.abort();
}
