import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Registry } from "../../src/registry/Registry.js";
import { Database } from "../../src/store/Database.js";
import { expectConsistent, openRegistry, tempDir, writeModule } from "./fixtures.js";

// Simulates a crash before every single file-system mutation and at every commit of a scenario
// of adds, replaces and removes. From the crash point on, every mutation fails (nothing more
// reaches the disk, as after SIGKILL) and an open transaction rolls back. The reopened registry
// must be consistent and hold either the state before or the state after the interrupted step.

class Crash extends Error {}

const MUTATORS = [
  "mkdirSync",
  "writeFileSync",
  "openSync",
  "writeSync",
  "fsyncSync",
  "renameSync",
  "rmSync",
  "rmdirSync",
  "unlinkSync",
  "copyFileSync",
] as const;

let budget = Number.POSITIVE_INFINITY;
let dead = false;
let ticks = 0;

function tick(): void {
  if (dead) throw new Crash("already crashed");
  ticks++;
  if (--budget < 0) {
    dead = true;
    throw new Crash("crash point");
  }
}

const originals = new Map<string, unknown>();
const originalTransaction = Object.getOwnPropertyDescriptor(Database.prototype, "transaction")
  ?.value as Database["transaction"];

function installCrashPoints(): void {
  const target = fs as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of MUTATORS) {
    const original = target[name] as (...args: unknown[]) => unknown;
    originals.set(name, original);
    target[name] = (...args: unknown[]) => {
      // Opening for reading (readFileSync opens through fs.openSync too) changes nothing on disk.
      if (name !== "openSync" || (args[1] !== undefined && args[1] !== "r")) tick();
      // Durability against power loss is not what is simulated here; skipping fsync keeps it fast.
      return name === "fsyncSync" ? undefined : original.apply(fs, args);
    };
  }
  Database.prototype.transaction = function <T>(this: Database, fn: () => T): T {
    return originalTransaction.call(this, (): T => {
      const result = fn();
      tick(); // a crash here rolls the transaction back: the moment just before COMMIT
      return result;
    }) as T;
  };
}

function removeCrashPoints(): void {
  const target = fs as unknown as Record<string, unknown>;
  for (const [name, original] of originals) target[name] = original;
  Database.prototype.transaction = originalTransaction;
}

type Step = (registry: Registry) => void;
type State = string[];

function stateOf(registry: Registry): State {
  return registry.list().map((r) => `${r.id}@${r.version}#${r.digest}`);
}

describe("crash points", () => {
  let root: string;
  let steps: Step[];

  beforeAll(() => {
    root = tempDir("chipset-crashpoints-");
    const src = (name: string, version: string, variant: string) =>
      writeModule(path.join(root, "src", `${name.replace("/", "_")}-${version}-${variant}`), {
        name,
        version,
        chipset: { keywords: [variant] },
        files: { "lib/a.js": `export const a = "${variant}";\n` },
      });
    const a1 = src("a", "1.0.0", "one");
    const a1b = src("a", "1.0.0", "two");
    const b1 = src("@acme/b", "1.0.0", "one");
    const a2 = src("a", "2.0.0", "one");
    const b1b = src("@acme/b", "1.0.0", "two");
    steps = [
      (r) => void r.add(a1),
      (r) => void r.add(a1b),
      (r) => void r.add(a1b),
      (r) => void r.add(b1),
      (r) => void r.add(a2),
      (r) => void r.remove("a"),
      (r) => void r.add(b1b),
      (r) => void r.remove("@acme/b", "1.0.0"),
    ];
    installCrashPoints();
  });

  afterAll(() => {
    removeCrashPoints();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("keeps the registry consistent and atomic when a crash hits any step at any point", () => {
    // A run without a crash gives, for each step, a snapshot of the data directory before it,
    // the state after it, and how many crash points it has.
    const cleanDir = path.join(root, "clean");
    const snapshots: string[] = [];
    const states: State[] = [];
    const points: number[] = [];
    for (let i = 0; i < steps.length; i++) {
      const snapshot = path.join(root, `before-${i}`);
      if (fs.existsSync(cleanDir)) fs.cpSync(cleanDir, snapshot, { recursive: true });
      snapshots.push(snapshot);
      const { registry, close } = openRegistry(cleanDir);
      if (i === 0) states.push(stateOf(registry));
      ticks = 0;
      (steps[i] as Step)(registry);
      points.push(ticks);
      states.push(stateOf(registry));
      close();
    }
    expect(points.reduce((a, b) => a + b)).toBeGreaterThan(50);
    expect(new Set(states.map((s) => s.join())).size).toBeGreaterThan(5);

    const outcomes = { before: 0, after: 0 };
    for (let step = 0; step < steps.length; step++) {
      for (let k = 0; k < (points[step] as number); k++) {
        const dataDir = path.join(root, `crash-${step}-${k}`);
        if (fs.existsSync(snapshots[step] as string))
          fs.cpSync(snapshots[step] as string, dataDir, { recursive: true });
        const crashed = openRegistry(dataDir);
        budget = k;
        try {
          (steps[step] as Step)(crashed.registry);
          expect.unreachable(`step ${step} finished although it should crash at point ${k}`);
        } catch (err) {
          if (!(err instanceof Crash) && !dead) throw err;
        } finally {
          budget = Number.POSITIVE_INFINITY;
          dead = false;
          crashed.close();
        }

        const { registry, close } = openRegistry(dataDir);
        try {
          expectConsistent(registry, dataDir);
          const state = stateOf(registry).join(" ");
          const before = (states[step] as State).join(" ");
          const after = (states[step + 1] as State).join(" ");
          expect([before, after], `crash point ${k} of step ${step}`).toContain(state);
          outcomes[state === after && state !== before ? "after" : "before"]++;
        } finally {
          close();
        }
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    }
    // Both outcomes occur: some crashes land after a commit and recovery has to finish the step.
    expect(outcomes.before).toBeGreaterThan(0);
    expect(outcomes.after).toBeGreaterThan(0);
  });

  it("loses nothing when a crash hits any point of recovery and of doctor's repair", () => {
    // A damaged data directory: its database lost a row and has a damaged one, and the store
    // holds a folder Chipset did not write. Recovery (on open) and repair are then crashed at
    // every point; the next open must end consistent, with every module and the foreign folder kept.
    const damaged = path.join(root, "damaged");
    {
      const { registry, db, close } = openRegistry(damaged);
      for (const [name, variant] of [
        ["a", "one"],
        ["@acme/b", "one"],
        ["c", "one"],
      ] as const) {
        const dir = writeModule(path.join(root, "src2", `${name.replace("/", "_")}-${variant}`), {
          name,
          chipset: { keywords: [variant] },
        });
        registry.add(dir);
      }
      db.sql.prepare("DELETE FROM modules WHERE id = 'a'").run();
      db.sql.prepare("UPDATE modules SET manifest = '{' WHERE id = 'c'").run();
      close();
      fs.mkdirSync(path.join(damaged, "store", "modules", "cart"), { recursive: true });
      fs.writeFileSync(path.join(damaged, "store", "modules", "cart", "index.js"), "cart");
    }
    const repairAll = (registry: Registry): void => void registry.doctor.repair();
    const expected = ["@acme/b@1.0.0", "a@1.0.0", "c@1.0.0"];
    const keysOf = (registry: Registry) => registry.list().map((r) => `${r.id}@${r.version}`);
    const cartKept = (dataDir: string): boolean =>
      fs.existsSync(path.join(dataDir, "store", "modules", "cart", "index.js")) ||
      (fs.existsSync(path.join(dataDir, "quarantine")) &&
        fs
          .readdirSync(path.join(dataDir, "quarantine"))
          .some((q) => fs.existsSync(path.join(dataDir, "quarantine", q, "index.js"))));

    ticks = 0;
    const counted = path.join(root, "damaged-count");
    fs.cpSync(damaged, counted, { recursive: true });
    const probe = openRegistry(counted);
    repairAll(probe.registry);
    probe.close();
    const points = ticks;
    expect(points).toBeGreaterThan(10);

    for (let k = 0; k < points; k++) {
      const dataDir = path.join(root, `recovery-crash-${k}`);
      fs.cpSync(damaged, dataDir, { recursive: true });
      budget = k;
      let opened: ReturnType<typeof openRegistry> | undefined;
      try {
        opened = openRegistry(dataDir);
        repairAll(opened.registry);
      } catch (err) {
        if (!(err instanceof Crash) && !dead && !(err as { cause?: unknown }).cause) throw err;
      } finally {
        budget = Number.POSITIVE_INFINITY;
        dead = false;
        opened?.close();
      }
      const { registry, close } = openRegistry(dataDir);
      try {
        repairAll(registry);
        expect(keysOf(registry).sort(), `crash point ${k}`).toEqual(expected);
        expectConsistent(registry, dataDir);
        expect(cartKept(dataDir), `crash point ${k}: the foreign folder is kept`).toBe(true);
      } finally {
        close();
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
