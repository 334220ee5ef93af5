import { describe, expect, it } from "vitest";
import { ManualClock } from "../common/Clock.js";
import { createProgress, type ProgressStream } from "./progress.js";

/** A terminal (or a pipe, with `isTTY: false`) that keeps what was written to it. */
function fakeStream(isTTY: boolean): ProgressStream & { text: string } {
  const stream = {
    isTTY,
    columns: 80,
    text: "",
    write(chunk: string) {
      stream.text += chunk;
      return true;
    },
  };
  return stream;
}

const ESC = "\u001b";

/** What a person sees, escape sequences left out. */
const visible = (text: string) => text.replace(new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]|${ESC}[78]`, "g"), "");

describe("createProgress", () => {
  it("draws a bar with the units done and the label on a terminal, and clears it when the work ends", () => {
    const stream = fakeStream(true);
    const progress = createProgress(stream, { quiet: false });
    expect(progress.shown).toBe(true);
    progress.start(3, "a/");
    expect(visible(stream.text)).toContain("0/3 a/");
    progress.update(2, "c/");
    expect(visible(stream.text)).toContain("2/3 c/");
    progress.stop();
    // Erased: the line ends with the erase-line sequence, not with the bar.
    expect(stream.text.endsWith("\x1b[2K")).toBe(true);
    const written = stream.text.length;
    progress.stop();
    progress.update(3, "late");
    expect(stream.text.length).toBe(written);
  });

  it("draws nothing on a pipe, and its notes are plain lines", () => {
    const stream = fakeStream(false);
    const progress = createProgress(stream, { quiet: false });
    expect(progress.shown).toBe(false);
    progress.start(3, "a/");
    progress.update(3, "c/");
    progress.note("trial 1: healthy");
    progress.stop();
    expect(stream.text).toBe("trial 1: healthy\n");
  });

  it("draws and writes nothing when quiet (--json), even on a terminal", () => {
    const stream = fakeStream(true);
    const progress = createProgress(stream, { quiet: true });
    expect(progress.shown).toBe(false);
    progress.start(3, "a/");
    progress.note("trial 1: healthy");
    progress.stop();
    expect(stream.text).toBe("");
  });

  it("believes the isTTY it is given over the stream's", () => {
    const stream = fakeStream(false);
    expect(createProgress(stream, { quiet: false, isTTY: true }).shown).toBe(true);
    expect(createProgress(fakeStream(true), { quiet: false, isTTY: false }).shown).toBe(false);
  });

  it("writes a note on the bar's line and draws the bar again below it", () => {
    const stream = fakeStream(true);
    const progress = createProgress(stream, { quiet: false });
    progress.start(4, "trial 1");
    progress.note("trial 1: a, b: UNHEALTHY: crashed");
    const after = stream.text.slice(stream.text.indexOf("trial 1: a, b"));
    expect(visible(after)).toMatch(/^trial 1: a, b: UNHEALTHY: crashed\n.*0\/4 trial 1/);
    progress.stop();
  });

  it("grows its total when the work runs past it", () => {
    const stream = fakeStream(true);
    const progress = createProgress(stream, { quiet: false });
    progress.start(2, "trial 1");
    progress.update(3, "trial 4");
    expect(visible(stream.text)).toContain("3/3 trial 4");
    progress.stop();
  });

  it("moves a timed bar in seconds as its clock goes, and stops its timer when stopped", () => {
    const stream = fakeStream(true);
    const clock = new ManualClock();
    const progress = createProgress(stream, { quiet: false });
    progress.startTimed(5_000, "before", clock);
    expect(visible(stream.text)).toContain("0/5 before");
    clock.advance(2_100);
    expect(visible(stream.text)).toContain("2/5 before");
    progress.update(3, "during");
    expect(visible(stream.text)).toContain("3/5 during");
    progress.stop();
    expect(clock.pending).toBe(0);
  });
});
