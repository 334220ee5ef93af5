/** One Server-Sent Event as received. */
export interface SseEvent {
  id: string | undefined;
  event: string;
  data: unknown;
}

/** A Server-Sent Events client over `fetch`: reads frames as they come and waits for the ones asked for. */
export class SseClient {
  readonly received: SseEvent[] = [];
  private buffer = "";
  private waiters: Array<() => void> = [];
  private ended = false;

  private constructor(
    readonly response: Response,
    private readonly abort: AbortController,
  ) {
    void this.pump();
  }

  /** Opens `url` with `headers`; resolves once the response's headers arrived (whatever its status). */
  static async open(url: string, headers: Record<string, string>): Promise<SseClient> {
    const abort = new AbortController();
    const res = await fetch(url, { headers, signal: abort.signal });
    return new SseClient(res, abort);
  }

  /** Resolves with the first received event that `match` accepts (looking at those received already too). */
  async until(match: (e: SseEvent) => boolean): Promise<SseEvent> {
    for (;;) {
      const found = this.received.find(match);
      if (found) return found;
      if (this.ended)
        throw new Error(`the stream ended; received: ${this.received.map((e) => e.event).join(", ")}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  close(): void {
    this.abort.abort();
  }

  private async pump(): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of this.response.body as unknown as AsyncIterable<Uint8Array>) {
        this.buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = this.buffer.indexOf("\n\n")) >= 0) {
          this.parse(this.buffer.slice(0, end));
          this.buffer = this.buffer.slice(end + 2);
        }
        this.wake();
      }
    } catch {
      // aborted by close()
    }
    this.ended = true;
    this.wake();
  }

  private parse(frame: string): void {
    const fields = new Map<string, string>();
    for (const line of frame.split("\n")) {
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
    }
    const event = fields.get("event");
    if (event === undefined) return;
    this.received.push({ id: fields.get("id"), event, data: JSON.parse(fields.get("data") ?? "null") });
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w();
  }
}
