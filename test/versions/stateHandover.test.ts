import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ChipsetError, ErrorCodes, type Runtime } from "../../src/index.js";
import { refusal } from "../updates/fixtures.js";
import { runtimeHarness } from "../support/runtimeHarness.js";

const h = runtimeHarness();

type Isolation = "inline" | "worker" | "process";

/**
 * A state of every shape a structured clone carries (the hand-over's contract): a Map and a Set,
 * nested objects and arrays, typed arrays and a Buffer, Dates, a BigInt, NaN and -0, a missing
 * value, and one object reached twice and through a cycle. The modules run its source.
 */
function richState() {
  const shared: Record<string, unknown> = { name: "shared", list: [1, "two", { three: 3 }] };
  shared["self"] = shared;
  return {
    count: 7,
    map: new Map<unknown, unknown>([
      ["a", { at: new Date(86_400_000), tags: new Set(["x", "y"]) }],
      [2, [1.5, -0, NaN]],
    ]),
    nested: { deep: { deeper: { values: [null, undefined, true, "text", 2n ** 70n] } } },
    doubles: Float64Array.from({ length: 1_000 }, (_, i) => i / 3),
    bytes: new Uint8Array([0, 1, 254, 255]),
    buffer: Buffer.from("buffered") as Buffer | undefined,
    when: new Date(1_700_000_000_000),
    first: shared,
    second: shared,
  };
}
const RICH_STATE = `(${richState.toString()})()`;

/**
 * Version 1.0.0 exports the rich state; 2.0.0 keeps what its importState received and answers
 * it, with what it saw of it in its own thread or process (before the answer is cloned again).
 */
function versions(from: Isolation, to: Isolation): string {
  h.ws.module({
    name: "keeper",
    version: "1.0.0",
    chipset: { isolation: from },
    code: `export const module = defineModule({
  api: { ping() { return "1.0.0"; } },
  exportState() { return ${RICH_STATE}; },
});`,
  });
  return h.ws.module({
    name: "keeper",
    version: "2.0.0",
    chipset: { isolation: to },
    dirName: "keeper-next",
    code: `let got;
let fromVersion;
export const module = defineModule({
  api: {
    ping() { return "2.0.0"; },
    received() {
      const seen = {
        map: got.map instanceof Map,
        tags: got.map.get("a").tags instanceof Set,
        at: got.map.get("a").at instanceof Date,
        doubles: got.doubles instanceof Float64Array,
        bytes: got.bytes instanceof Uint8Array,
        when: got.when instanceof Date,
        sameObject: got.first === got.second,
        cycle: got.first.self === got.first,
        bigint: typeof got.nested.deep.deeper.values[4],
        negativeZero: Object.is(got.map.get(2)[1], -0),
        buffer: [got.buffer.constructor.name, new TextDecoder().decode(got.buffer)],
      };
      return { state: { ...got, buffer: undefined }, seen, fromVersion };
    },
  },
  importState(state, from) { got = state; fromVersion = from; },
});`,
  });
}

async function openOn(rt: Runtime): Promise<void> {
  expect(await rt.call("keeper", "ping")).toBe("1.0.0");
}

describe.each([
  ["worker", "worker"],
  ["process", "process"],
  ["worker", "process"],
  ["process", "worker"],
  ["process", "inline"],
  ["inline", "worker"],
] as const)("state hand-over (%s -> %s)", (from, to) => {
  it("gives the new version's importState a state equal to what the old one's exportState returned", async () => {
    const next = versions(from, to);
    const rt = h.open({ moduleDirs: [join(h.ws.modulesDir, "keeper-1.0.0")] });
    await openOn(rt);
    const report = await rt.update("keeper", { from: next, graceMs: 0 });
    expect(report).toMatchObject({ outcome: "completed", stateMigrated: true });
    const { state, seen, fromVersion } = (await rt.call("keeper", "received")) as {
      state: unknown;
      seen: Record<string, unknown>;
      fromVersion: string;
    };
    expect(fromVersion).toBe("1.0.0");
    expect(seen).toEqual({
      map: true,
      tags: true,
      at: true,
      doubles: true,
      bytes: true,
      when: true,
      sameObject: true,
      cycle: true,
      bigint: "bigint",
      negativeZero: true,
      // As a message carries it: a worker's messages turn a Buffer into a Uint8Array, a process's keep it.
      buffer: [from === "worker" || to === "worker" ? "Uint8Array" : "Buffer", "buffered"],
    });
    // What the test makes of the same source here, compared value by value.
    expect(state).toStrictEqual({ ...richState(), buffer: undefined });
  });
});

describe.each(["worker", "process"] as const)("state hand-over (%s)", (isolation) => {
  it("fails the update cleanly when the state cannot be serialized: the old version serves, no call failed", async () => {
    const stateWith = (exportState: string) =>
      `let count = 0;
export const module = defineModule({
  api: { hit() { count++; return { version: ${JSON.stringify(isolation)}, count }; } },
  exportState() { return ${exportState}; },
  importState(state) { count = state.count; },
});`;
    h.ws.module({
      name: "holder",
      version: "1.0.0",
      chipset: { isolation },
      code: stateWith("{ count, format: () => String(count) }"),
    });
    const next = h.ws.module({
      name: "holder",
      version: "2.0.0",
      chipset: { isolation },
      dirName: "holder-next",
      code: stateWith("{ count }"),
    });
    const rt = h.open({ moduleDirs: [join(h.ws.modulesDir, "holder-1.0.0")] });
    expect(await rt.call("holder", "hit")).toMatchObject({ count: 1 });
    const update = rt.update("holder", { from: next, graceMs: 0 });
    const failures: unknown[] = [];
    let answered = 0;
    let done = false;
    void update.finally(() => (done = true)).catch(() => undefined);
    const lane = async () => {
      while (!done) {
        await new Promise((resolve) => setImmediate(resolve));
        try {
          await rt.call("holder", "hit");
          answered++;
        } catch (err) {
          failures.push(err);
        }
      }
    };
    await Promise.all([lane(), lane(), lane()]);
    const err = await refusal(update);
    expect(failures).toEqual([]);
    expect(err.code).toBe(ErrorCodes.UPDATE_FAILED);
    expect(err.details["step"]).toBe("switch");
    const cause = err.cause as ChipsetError;
    expect(cause.code).toBe(ErrorCodes.HOOK_FAILED);
    expect(cause.details["phase"]).toBe("exportState");
    expect(cause.message).toContain("exportState() of holder@1.0.0 failed");
    expect(cause.message).toContain("could not be cloned");
    expect(err.message).toContain("holder@1.0.0 serves as before");
    // The old version kept its state and serves on: every call counted once.
    expect(await rt.call("holder", "hit")).toMatchObject({ count: answered + 2 });
    expect(
      rt
        .instances()
        .filter((i) => i.id === "holder")
        .map((i) => i.key),
    ).toEqual(["holder@1.0.0"]);
  });
});
