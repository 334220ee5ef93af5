/** Longest line passed on whole, in characters; longer ones are cut. */
const MAX_LINE = 4096;

/** Splits a child's output (stderr or stdout) into lines for the log; a trailing partial line waits for the rest. */
export class StderrLines {
  private partial = "";

  constructor(private readonly line: (text: string) => void) {}

  /** Takes the next chunk of output. */
  push(text: string): void {
    const parts = (this.partial + text).split(/\r?\n/);
    this.partial = parts.pop()!.slice(-MAX_LINE);
    for (const part of parts) if (part.trim() !== "") this.line(part.slice(0, MAX_LINE));
  }

  /** Passes on what is left (at the end of the output). */
  flush(): void {
    const rest = this.partial;
    this.partial = "";
    if (rest.trim() !== "") this.line(rest);
  }
}
