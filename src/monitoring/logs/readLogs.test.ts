import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MODULE_LOG } from "./LogFiles.js";
import { allOf, lastEntries, levelFilter, moduleFilter, type LogEntry } from "./readLogs.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "chipset-readlogs-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A pino-like record of line `n` of `module`; `pad` makes it longer (multi-byte characters included). */
const line = (n: number, module: string, pad = "") =>
  `${JSON.stringify({ level: n % 10 === 0 ? 50 : 30, time: 1_700_000_000_000 + n, module, msg: `line ${n}${pad}` })}\n`;

const numbers = (entries: LogEntry[]) => entries.map((e) => Number(/line (\d+)/.exec(e.record.msg!)![1]));

describe("lastEntries", () => {
  it("answers a module's 50 newest lines, oldest first, from a 20 MiB log mostly of other modules", async () => {
    // Every 97th line is module a's; the rest are b's, with padding of 1 to 3 byte characters
    // so that lines and characters straddle the 64 KiB chunks read backwards.
    const parts: string[] = [];
    let size = 0;
    let n = 0;
    const expected: number[] = [];
    while (size < 20 * 1024 * 1024) {
      const mine = n % 97 === 0;
      const text = line(n, mine ? "a@1.0.0" : "b@1.0.0", mine ? " é€" : ` ${"é€x".repeat(n % 50)}`);
      if (mine) expected.push(n);
      parts.push(text);
      size += Buffer.byteLength(text);
      n++;
    }
    parts.push('{"level":30,"time":1,"module":"a@1.0.0","msg":"torn'); // a line still being written
    const file = join(dir, MODULE_LOG);
    writeFileSync(file, parts.join(""));
    const { entries, position } = await lastEntries(dir, moduleFilter("a"), 50);
    expect(numbers(entries)).toEqual(expected.slice(-50));
    expect(
      entries.every(
        (e) => e.record.msg!.endsWith(" é€") && e.line === line(numbers([e])[0]!, "a@1.0.0", " é€").trimEnd(),
      ),
    ).toBe(true);
    expect(position).toEqual({
      ino: statSync(file).ino,
      offset: Buffer.byteLength(parts.slice(0, -1).join("")),
    });

    const errors = await lastEntries(dir, allOf(moduleFilter("a"), levelFilter(50)), 5);
    expect(numbers(errors.entries)).toEqual(expected.filter((k) => k % 10 === 0).slice(-5));
  });

  it("goes on into the rotated files, newest first, and takes lines longer than a chunk whole", async () => {
    const long = "z".repeat(200 * 1024);
    writeFileSync(join(dir, `${MODULE_LOG}.2`), line(0, "a@1.0.0") + line(1, "a@1.0.0"));
    writeFileSync(
      join(dir, `${MODULE_LOG}.1`),
      line(2, "a@1.0.0", long) + "not a record\n\n" + line(3, "b@1.0.0"),
    );
    writeFileSync(join(dir, MODULE_LOG), line(4, "a@1.0.0") + line(5, "a@1.0.0", long));
    const { entries } = await lastEntries(dir, moduleFilter("a"), 4);
    expect(numbers(entries)).toEqual([1, 2, 4, 5]);
    expect(entries[1]!.record.msg).toBe(`line 2${long}`);
    expect(numbers((await lastEntries(dir, moduleFilter(undefined), 100)).entries)).toEqual([
      0, 1, 2, 3, 4, 5,
    ]);
    expect((await lastEntries(dir, moduleFilter(undefined), 0)).entries).toEqual([]);
  });

  it("answers nothing, and no position, for a log that is not there or holds no whole line yet", async () => {
    expect(await lastEntries(dir, moduleFilter(undefined), 10)).toEqual({ entries: [], position: undefined });
    writeFileSync(join(dir, MODULE_LOG), '{"level":30');
    const { entries, position } = await lastEntries(dir, moduleFilter(undefined), 10);
    expect(entries).toEqual([]);
    expect(position).toMatchObject({ offset: 0 });
  });
});
