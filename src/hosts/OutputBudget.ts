/**
 * How much of a module's console output is kept: at most `limit` characters per second of the
 * clock it is given (counted in UTF-16 code units, as the text arrives), the rest dropped and
 * counted, as journald rate-limits a service. A module that floods its stdout then costs the
 * runtime a bounded amount of memory and log, and its heartbeats are not queued behind the flood.
 * What a second dropped is reported once that second is over (or when the output ends).
 * Dependency-free: the child side of a worker host uses it too, so a flood is not even sent.
 */
export class OutputBudget {
  private windowStart = Number.NEGATIVE_INFINITY;
  private used = 0;
  private dropped = 0;
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;

  /**
   * @param onDropped told how many characters were dropped, after the second they were dropped in.
   * @param limit what may pass per second, in characters (default 1 MiB).
   * @param now the clock, in ms (default `performance.now`).
   */
  constructor(
    private readonly onDropped: (count: number) => void,
    readonly limit = 1024 * 1024,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Whether `text` may pass now. */
  take(text: string): boolean {
    const now = this.now();
    if (now - this.windowStart >= 1000) {
      this.report();
      this.windowStart = now;
      this.used = 0;
    }
    if (this.used + text.length > this.limit) {
      this.dropped += text.length;
      // Reported when this second is over, whether or not more output comes (unref'd: it keeps
      // nothing alive).
      this.timer ??= setTimeout(() => this.report(), this.windowStart + 1000 - now).unref();
      return false;
    }
    this.used += text.length;
    return true;
  }

  /** Reports what was dropped and not reported yet (the output ended, or its second is over). */
  report(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const dropped = this.dropped;
    this.dropped = 0;
    if (dropped > 0) this.onDropped(dropped);
  }
}

/** The line that stands for dropped output, on a line of its own whatever was written before it. */
export function droppedNotice(count: number, stream: string, limit: number): string {
  return `\n[chipset: ${count} characters of ${stream} dropped: over ${limit} per second]\n`;
}
