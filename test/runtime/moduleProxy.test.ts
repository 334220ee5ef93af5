import { format, inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { ErrorCodes, type Runtime } from "../../src/index.js";
import { runtimeHarness } from "../support/runtimeHarness.js";
import { tracedModule } from "../support/trace.js";

const h = runtimeHarness();

/** What the tests read from a proxy: any property, and the probes they call. */
interface Probed {
  [key: PropertyKey]: unknown;
  toString(): string;
  toLocaleString(): string;
  valueOf(): unknown;
  inspect(): string;
  hello(): Promise<string>;
  missing(): Promise<unknown>;
}

/** A runtime with `x` installed: its init and start are traced, so loading it shows in `h.log`. */
function withModule(api = `{ hello() { return "hi"; } }`): { rt: Runtime; proxy: Probed } {
  h.ws.module({ name: "x", code: tracedModule("x", api) });
  const rt = h.open();
  return { rt, proxy: rt.use("x") as unknown as Probed };
}

/** Fails when `x` was loaded or called: nothing in the trace, and still only registered. */
function expectUntouched(rt: Runtime): void {
  expect(h.log).toEqual([]);
  expect(rt.queries.info("x").state).toBe("registered");
}

describe("a module proxy probed like any object", () => {
  it("serialises with JSON.stringify without loading the module", async () => {
    const { rt, proxy } = withModule();
    expect(JSON.stringify(proxy)).toBe('{"module":"x"}');
    expect(JSON.stringify({ player: proxy })).toBe('{"player":{"module":"x"}}');
    expect(format("%j", proxy)).toBe('{"module":"x"}');
    // A call started by toJSON would have failed after this tick, as an unhandled rejection.
    await new Promise((resolve) => setImmediate(resolve));
    expectUntouched(rt);
  });

  it("turns into a string as [ModuleProxy id] without loading the module", () => {
    const { rt, proxy } = withModule();
    expect(String(proxy)).toBe("[ModuleProxy x]");
    expect(`${proxy as unknown as string}`).toBe("[ModuleProxy x]");
    expect("" + (proxy as unknown as string)).toBe("[ModuleProxy x]");
    expect(proxy.toString()).toBe("[ModuleProxy x]");
    expect(proxy.toLocaleString()).toBe("[ModuleProxy x]");
    expect(Number(proxy)).toBeNaN();
    expect(proxy.valueOf()).toBe(proxy);
    expect(Object.prototype.toString.call(proxy)).toBe("[object ModuleProxy]");
    expectUntouched(rt);
  });

  it("shows as [ModuleProxy id] in console.log and util.inspect without loading the module", () => {
    const { rt, proxy } = withModule();
    expect(inspect(proxy)).toBe("[ModuleProxy x]");
    expect(inspect({ player: proxy })).toBe("{ player: [ModuleProxy x] }");
    expect(format("%s %O", proxy, proxy)).toBe("[ModuleProxy x] [ModuleProxy x]");
    // %o shows proxies as such (showProxy): the target is shown the same way, and no trap runs.
    expect(format("%o", proxy)).toMatch(/^Proxy \[\s+\[ModuleProxy x\],/);
    expect(proxy.inspect()).toBe("[ModuleProxy x]");
    expectUntouched(rt);
  });

  it("is not a thenable: await and Promise.resolve give the proxy itself", async () => {
    const { rt, proxy } = withModule();
    expect(proxy.then).toBeUndefined();
    expect(await (proxy as unknown)).toBe(proxy);
    expect(await Promise.resolve(proxy)).toBe(proxy);
    expectUntouched(rt);
  });

  it("has no iterator, constructor, React or matcher markers, and cannot be cloned", () => {
    const { rt, proxy } = withModule();
    for (const probe of [
      Symbol.iterator,
      Symbol.asyncIterator,
      Symbol.hasInstance,
      "constructor",
      "$$typeof",
      "asymmetricMatch",
      "nodeType",
      "__esModule",
      "hasOwnProperty",
    ])
      expect(proxy[probe], String(probe)).toBeUndefined();
    expect(() => structuredClone(proxy)).toThrow(expect.objectContaining({ name: "DataCloneError" }));
    expect({ ...proxy }).toEqual({});
    expect(Object.keys(proxy)).toEqual([]);
    expectUntouched(rt);
  });

  it("passes vitest's equality matchers and error formatting without loading the module", () => {
    const { rt, proxy } = withModule();
    const other = rt.use("x@1.0.0");
    expect(proxy).toBe(rt.use("x"));
    expect(proxy).toEqual(proxy);
    expect(proxy).toStrictEqual(proxy);
    expect(() => expect(proxy).toBe(other)).toThrow();
    expect(() => expect(proxy).toEqual({ a: 1 })).toThrow();
    expect(() => expect(proxy).toMatchObject({ a: 1 })).toThrow();
    expectUntouched(rt);
  });

  it("still calls every other name as a method of the module, loading it on first use", async () => {
    const { proxy } = withModule();
    await expect(proxy.hello()).resolves.toBe("hi");
    expect(h.log).toEqual(["init x", "start x"]);
    await expect(proxy.missing()).rejects.toMatchObject({
      code: ErrorCodes.METHOD_NOT_FOUND,
    });
  });

  it("reaches a module method named like a probe through runtime.call", async () => {
    const { rt, proxy } = withModule(
      `{ toString() { return "the module's own"; }, inspect() { return "inspected"; } }`,
    );
    expect(String(proxy)).toBe("[ModuleProxy x]");
    expectUntouched(rt);
    await expect(rt.call("x", "toString")).resolves.toBe("the module's own");
    await expect(rt.call("x", "inspect")).resolves.toBe("inspected");
  });

  it("names the ref it was made with", () => {
    const { rt } = withModule();
    const pinned = rt.use("x@^1.0.0") as unknown as Probed;
    expect(String(pinned)).toBe("[ModuleProxy x@^1.0.0]");
    expect(JSON.stringify(pinned)).toBe('{"module":"x@^1.0.0"}');
    expectUntouched(rt);
  });
});

describe.each(["worker", "process"] as const)("a dependency proxy inside a %s module", (isolation) => {
  it("answers JSON.stringify, String, inspect and await itself, without calling the dependency", async () => {
    // Were the probes sent as calls, these methods would run and show in the trace.
    const traced = ["toJSON", "toString", "toLocaleString", "valueOf", "inspect", "asymmetricMatch"]
      .map((name) => `${name}() { globalThis.__trace.push("${name} called"); return "called"; }`)
      .join(", ");
    h.ws.module({
      name: "store",
      code: tracedModule("store", `{ ${traced}, get(k) { return "value of " + k; } }`),
    });
    h.ws.module({
      name: "prober",
      chipset: { isolation, requires: { store: "^1.0.0" } },
      code: `import { inspect } from "node:util";
        let store;
        export const module = defineModule({
          init(ctx) { store = ctx.use("store"); },
          api: {
            async probe() {
              return {
                json: JSON.stringify({ store }),
                string: String(store),
                template: \`\${store}\`,
                inspect: inspect({ store }),
                tag: Object.prototype.toString.call(store),
                awaited: (await store) === store,
                kinds: [store.then, store[Symbol.iterator], store.constructor, store.asymmetricMatch].map((v) => typeof v),
              };
            },
            get(k) { return store.get(k); },
          },
        });`,
    });
    const rt = h.open({ hosts: { pool: { worker: 0, process: 0 } } });
    await expect(rt.call("prober", "probe")).resolves.toEqual({
      json: '{"store":{"module":"store"}}',
      string: "[ModuleProxy store]",
      template: "[ModuleProxy store]",
      inspect: "{ store: [ModuleProxy store] }",
      tag: "[object ModuleProxy]",
      awaited: true,
      kinds: ["undefined", "undefined", "undefined", "undefined"],
    });
    await expect(rt.call("prober", "get", ["k"])).resolves.toBe("value of k");
    expect(h.log).toEqual(["init store", "start store"]);
    expect(rt.queries.info("prober").state).toBe("running");
  });
});
