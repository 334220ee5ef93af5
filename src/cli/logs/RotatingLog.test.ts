import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { followLog, lastEntries, moduleFilter, MODULE_LOG, type LogEntry } from "../../monitoring/logs.js";
import { RotatingLog } from "./RotatingLog.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "chipset-rotating-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A pino-like record line of about 100 bytes. */
const record = (n: number, module = "m@1.0.0") =>
  `${JSON.stringify({ level: 30, time: 1_700_000_000_000 + n, module, msg: `line ${n} ${"x".repeat(40)}` })}\n`;

const numbers = (entries: LogEntry[]) => entries.map((e) => Number(/line (\d+)/.exec(e.record.msg!)![1]));

describe("RotatingLog", () => {
  it("keeps whole lines in files no larger than maxFileBytes, and keepFiles rotated ones", async () => {
    const log = new RotatingLog(join(dir, MODULE_LOG), { maxFileBytes: 1024, keepFiles: 2 });
    for (let n = 0; n < 100; n++) log.write(record(n));
    await log.close();
    expect(readdirSync(dir).sort()).toEqual([MODULE_LOG, `${MODULE_LOG}.1`, `${MODULE_LOG}.2`]);
    for (const name of readdirSync(dir)) {
      expect(statSync(join(dir, name)).size).toBeLessThanOrEqual(1024);
      expect(readFileSync(join(dir, name), "utf8")).toMatch(/^(\{.*\}\n)+$/);
    }
    // The newest lines, in order, without a gap across the files.
    const { entries } = await lastEntries(dir, moduleFilter(undefined), 1000);
    const seen = numbers(entries);
    expect(seen.at(-1)).toBe(99);
    expect(seen).toEqual(seen.map((_, i) => seen[0]! + i));
  });

  it("appends to the file a previous run left, and rotates it when full", async () => {
    writeFileSync(join(dir, MODULE_LOG), record(0).repeat(8));
    const log = new RotatingLog(join(dir, MODULE_LOG), { maxFileBytes: 1024, keepFiles: 1 });
    log.write(record(1));
    log.write(record(2));
    await log.close();
    expect(readFileSync(join(dir, `${MODULE_LOG}.1`), "utf8")).toBe(record(0).repeat(8) + record(1));
    expect(readFileSync(join(dir, MODULE_LOG), "utf8")).toBe(record(2));
  });

  it("keeps no old file with keepFiles 0", async () => {
    const log = new RotatingLog(join(dir, MODULE_LOG), { maxFileBytes: 1024, keepFiles: 0 });
    for (let n = 0; n < 30; n++) log.write(record(n));
    await log.close();
    expect(readdirSync(dir)).toEqual([MODULE_LOG]);
    expect(numbers((await lastEntries(dir, moduleFilter(undefined), 100)).entries).at(-1)).toBe(29);
  });

  it("writes a notice with the module in place of a line larger than a file", async () => {
    const log = new RotatingLog(join(dir, MODULE_LOG), { maxFileBytes: 1024, keepFiles: 1 });
    log.write(`${JSON.stringify({ level: 30, time: 1, module: "big@1.0.0", msg: "y".repeat(5000) })}\n`);
    await log.close();
    const [entry] = (await lastEntries(dir, moduleFilter("big"), 10)).entries;
    expect(entry?.record.msg).toMatch(
      /a log line of 50\d\d bytes was dropped: over logs\.maxFileBytes \(1024\)/,
    );
  });

  it("drops what waits beyond maxPendingBytes and says how many lines", async () => {
    const log = new RotatingLog(join(dir, MODULE_LOG), {
      maxFileBytes: 1 << 20,
      keepFiles: 1,
      maxPendingBytes: 1000,
    });
    // Synchronous writes: the first goes to the disk, the next ones wait, and past 1000 bytes are dropped.
    for (let n = 0; n < 50; n++) log.write(record(n));
    log.write(record(50)); // after a write completes, the notice comes first
    await log.close();
    const { entries } = await lastEntries(dir, moduleFilter(undefined), 100);
    expect(entries.some((e) => /log lines were dropped: the disk did not keep up/.test(e.record.msg!))).toBe(
      true,
    );
    expect(entries.length).toBeLessThan(51);
  });
});

describe("followLog", () => {
  it("sees every line written after it began, across rotations, in order, for the module asked", async () => {
    const writer = new RotatingLog(join(dir, MODULE_LOG), { maxFileBytes: 1024, keepFiles: 3 });
    writer.write(record(0));
    await writer.drained();
    const { position } = await lastEntries(dir, moduleFilter(undefined), 1);
    const seen: number[] = [];
    const waiting = new Map<number, () => void>();
    const stop = new AbortController();
    const following = followLog(dir, {
      filter: moduleFilter("m"),
      from: position,
      intervalMs: 5,
      signal: stop.signal,
      onEntries(entries) {
        seen.push(...numbers(entries));
        for (const [n, resolve] of waiting) if (seen.includes(n)) resolve();
      },
    });
    // Batches of about 1.6 KB: each rotates the 1 KB file once or twice between two looks.
    for (let batch = 0; batch < 3; batch++) {
      const last = (batch + 1) * 16;
      const seenLast = new Promise<void>((resolve) => waiting.set(last, resolve));
      for (let n = batch * 16 + 1; n <= last; n++)
        writer.write(record(n, n % 2 === 0 ? "m@1.0.0" : "other@1.0.0"));
      await seenLast;
    }
    stop.abort();
    await following;
    await writer.close();
    expect(readdirSync(dir).length).toBeGreaterThan(2);
    expect(seen).toEqual(Array.from({ length: 24 }, (_, i) => 2 * (i + 1)));
  });
});
