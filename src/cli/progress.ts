import { createRequire } from "node:module";
import type cliProgress from "cli-progress";
import type { Clock, Timer } from "../common/Clock.js";
import { printable } from "./format.js";

/** Where a progress bar is drawn: stderr, or a fake terminal in tests. */
export interface ProgressStream {
  write(chunk: string): unknown;
  /** Whether the stream is a terminal; a bar is drawn only on one. */
  isTTY?: boolean;
  /** The terminal's width in characters (default 80). */
  columns?: number;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** No bar and no notes: under `--json` (a program reads the output), or for work too short to show. */
  quiet: boolean;
  /** Whether `stream` is a terminal. Default: `stream.isTTY === true`. */
  isTTY?: boolean;
}

/**
 * A progress display for long work (`add` of many directories, `update`, `bisect`, `chaos run`).
 * On a terminal it is one bar on stderr, cleared when the work ends; otherwise no bar is drawn
 * (`shown` is false) and notes are plain lines.
 */
export interface Progress {
  /** Whether a bar is drawn: false without a terminal, or when quiet. */
  readonly shown: boolean;
  /** Shows the bar at 0 of `total` units, with `label` saying what is going on. */
  start(total: number, label: string): void;
  /** Moves the bar to `value` units done (and `label`, when given). */
  update(value: number, label?: string): void;
  /** Raises the bar's total, for work that turns out longer than first thought. */
  setTotal(total: number): void;
  /**
   * Shows the bar at 0 of `totalMs` and moves it with `clock` (every 200 ms) until {@link stop}:
   * for work whose length is known in time rather than in steps.
   */
  startTimed(totalMs: number, label: string, clock: Clock): void;
  /**
   * A line for people on the stream, to keep: above the bar, which is drawn again below it; a
   * plain line without a terminal; nothing when quiet.
   */
  note(text: string): void;
  /** Removes the bar. Safe to call twice, or without a start. */
  stop(): void;
}

/** How often a timed bar moves, in ms. */
const TICK_MS = 200;

/** The bar on a terminal; without one, or when quiet, a stand-in that draws nothing (see {@link Progress}). */
export function createProgress(stream: ProgressStream, options: ProgressOptions): Progress {
  const tty = options.isTTY ?? stream.isTTY === true;
  if (tty && !options.quiet) return new TerminalProgress(stream);
  return {
    shown: false,
    start: () => undefined,
    update: () => undefined,
    setTotal: () => undefined,
    startTimed: () => undefined,
    note: (text) => void (options.quiet ? undefined : stream.write(`${printable(text)}\n`)),
    stop: () => undefined,
  };
}

class TerminalProgress implements Progress {
  readonly shown = true;
  private readonly bar: cliProgress.SingleBar;
  private active = false;
  private ticker: Timer | undefined;

  constructor(private readonly stream: ProgressStream) {
    // Required here, not imported at the top: only a bar on a terminal needs it (cli-progress is CommonJS).
    const { SingleBar, Presets } = createRequire(import.meta.url)("cli-progress") as typeof cliProgress;
    this.bar = new SingleBar(
      {
        stream: stream as NodeJS.WritableStream,
        format: "{bar} {value}/{total} {label}",
        barsize: 24,
        hideCursor: false,
        clearOnComplete: true,
        // Drawn again on every tick, so a note written above it is followed by the bar at once.
        forceRedraw: true,
      },
      Presets.shades_classic,
    );
  }

  start(total: number, label: string): void {
    this.stop();
    this.active = true;
    this.bar.start(total, 0, { label: printable(label) });
  }

  update(value: number, label?: string): void {
    if (!this.active) return;
    if (value > this.bar.getTotal()) this.bar.setTotal(value);
    this.bar.update(value, label === undefined ? undefined : { label: printable(label) });
    this.bar.render(); // at once: updates come seconds apart (a trial, a step), not thousands a second
  }

  setTotal(total: number): void {
    if (this.active) this.bar.setTotal(total);
  }

  startTimed(totalMs: number, label: string, clock: Clock): void {
    const total = Math.max(1, Math.round(totalMs / 1000));
    this.start(total, label);
    // Seconds on the bar: what a person watching reads; the clock is the caller's, so tests move it.
    const origin = clock.now();
    const tick = (): void => {
      this.update(Math.min(total, Math.floor((clock.now() - origin) / 1000)));
      this.ticker = clock.setTimeout(tick, TICK_MS, { background: true });
    };
    this.ticker = clock.setTimeout(tick, TICK_MS, { background: true });
  }

  note(text: string): void {
    if (!this.active) {
      this.stream.write(`${printable(text)}\n`);
      return;
    }
    // Carriage return and erase-line: the note takes the bar's line, the bar is drawn below it.
    this.stream.write(`\r\x1b[2K${printable(text)}\n`);
    this.bar.render();
  }

  stop(): void {
    this.ticker?.dispose();
    this.ticker = undefined;
    if (!this.active) return;
    this.active = false;
    this.bar.stop();
  }
}
