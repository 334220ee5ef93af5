/** ANSI sequences (ECMA-48 / xterm): the few `chipset top` needs to redraw in place. */
const ESC = "\u001b[";
const HOME = `${ESC}H`;
const CLEAR_SCREEN = `${ESC}2J`;
const CLEAR_LINE_END = `${ESC}K`;
const CLEAR_BELOW = `${ESC}J`;
const HIDE_CURSOR = `${ESC}?25l`;
const SHOW_CURSOR = `${ESC}?25h`;

/**
 * `chipset top` on a terminal: each frame is drawn over the last from the top-left corner, as
 * `top` does, each line cut to the terminal's width and the frame to its height (a wrapped or
 * scrolled line would push the next frame out of place). The cursor is hidden while it runs and
 * shown again by {@link close}, which leaves the last frame on the screen.
 */
export class TopScreen {
  private closed = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly size: { rows: number; columns: number },
  ) {
    write(`${HIDE_CURSOR}${CLEAR_SCREEN}${HOME}`);
  }

  /** Draws `lines` (already printable: no control characters) as the whole screen. */
  draw(lines: readonly string[]): void {
    if (this.closed) return;
    const { rows, columns } = this.size;
    let shown = lines;
    if (lines.length > rows - 1) {
      // The last row stays free: writing there would scroll the screen.
      shown = [...lines.slice(0, Math.max(0, rows - 2)), `... ${lines.length - (rows - 2)} more lines`];
    }
    const body = shown.map((line) => `${line.slice(0, columns)}${CLEAR_LINE_END}`).join("\n");
    this.write(`${HOME}${body}\n${CLEAR_BELOW}`);
  }

  /** Shows the cursor again, below the last frame. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.write(SHOW_CURSOR);
  }
}
