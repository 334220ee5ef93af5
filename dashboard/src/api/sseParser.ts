// Server-Sent Events, parsed from text chunks as they arrive: `EventSource` cannot send the bearer
// header the host asks for, so the page reads `GET /v1/events` with fetch() and parses it here.

/** One event of the stream: its `id:` (null when it had none), `event:` name and parsed `data:`. */
export interface StreamEvent {
  id: number | null;
  name: string;
  data: unknown;
}

/**
 * Feeds chunks of an event stream and calls `onEvent` for each complete event. Chunks may split
 * lines and events anywhere; `retry:` lines set {@link SseParser.retryMs} (default 1 000 ms).
 */
export class SseParser {
  retryMs = 1_000;
  private buffer = "";
  private id: number | null = null;
  private name = "message";
  private data: string[] = [];

  constructor(private readonly onEvent: (event: StreamEvent) => void) {}

  push(chunk: string): void {
    this.buffer += chunk;
    let start = 0;
    for (;;) {
      const end = this.buffer.indexOf("\n", start);
      if (end < 0) break;
      this.line(this.buffer.slice(start, end).replace(/\r$/, ""));
      start = end + 1;
    }
    this.buffer = this.buffer.slice(start);
  }

  private line(line: string): void {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "data") this.data.push(value);
    else if (field === "event") this.name = value;
    else if (field === "id") this.id = Number.isInteger(Number(value)) && value !== "" ? Number(value) : null;
    else if (field === "retry" && /^\d+$/.test(value)) this.retryMs = Number(value);
  }

  private dispatch(): void {
    if (this.data.length > 0) {
      const text = this.data.join("\n");
      let data: unknown = text;
      try {
        data = JSON.parse(text);
      } catch {
        // Not JSON: kept as the text it was.
      }
      this.onEvent({ id: this.id, name: this.name, data });
    }
    this.name = "message";
    this.data = [];
  }
}
