import { inspect } from "node:util";

/**
 * Names a module proxy answers itself instead of calling the module: what the language and
 * common tools read to find out what kind of object they hold (`await`, `JSON.stringify`,
 * `String()`, `console.log`, test matchers, React, bundlers' interop). Calling the module for
 * them would load and start it, and the promise a call returns broke each of them (a
 * `JSON.stringify` ended the process with an unhandled rejection). A module method with one of
 * these names is still reached with `runtime.call(id, name)`.
 */
export const PROXY_OWN_NAMES: ReadonlySet<string> = new Set([
  // Object.prototype's own names: what any object is expected to have (or lack).
  "constructor",
  "toString",
  "toLocaleString",
  "valueOf",
  "hasOwnProperty",
  "isPrototypeOf",
  "propertyIsEnumerable",
  "__proto__",
  "__defineGetter__",
  "__defineSetter__",
  "__lookupGetter__",
  "__lookupSetter__",
  // Read by await / Promise.resolve, JSON.stringify, Node's legacy inspect, and test matchers.
  "then",
  "toJSON",
  "inspect",
  "asymmetricMatch",
  "$$typeof",
  "nodeType",
  "__esModule",
]);

/**
 * A proxy whose every property is an async function calling `name` on the module behind it
 * (`proxy.open(path)` is `call("open", [path])`; one function per name, made once), except
 * symbols and the names in {@link PROXY_OWN_NAMES}, which behave as on an inert object and
 * never reach the module:
 *
 * - `then` is undefined, so `await proxy` gives the proxy;
 * - `JSON.stringify(proxy)` gives `{"module":"<label>"}`;
 * - `String(proxy)`, template literals and `proxy.toString()` give `[ModuleProxy <label>]`,
 *   `+proxy` is NaN, and `proxy.valueOf()` is the proxy;
 * - `console.log` and `util.inspect` show `[ModuleProxy <label>]` (so does `proxy.inspect()`);
 * - `Object.prototype.toString.call(proxy)` is `[object ModuleProxy]`;
 * - every other symbol (`Symbol.iterator`, `Symbol.asyncIterator`...) and other name of the
 *   list (`constructor`, `$$typeof`, `asymmetricMatch`, `hasOwnProperty`...) is undefined, as on
 *   `Object.create(null)`; `structuredClone(proxy)` throws a `DataCloneError` like any proxy.
 *
 * `label` is what the caller named the module with (`"codec"`, `"codec@^2"`).
 */
export function makeModuleProxy(
  label: string,
  call: (method: string, args: unknown[]) => Promise<unknown>,
): object {
  const text = `[ModuleProxy ${label}]`;
  const target = Object.create(null) as object;
  // Non-enumerable, so that spreading the proxy or comparing it with toEqual sees no fields.
  Object.defineProperties(target, {
    toJSON: { value: () => ({ module: label }) },
    toString: { value: () => text },
    toLocaleString: { value: () => text },
    valueOf: {
      value: function (this: unknown) {
        return this;
      },
    },
    inspect: { value: () => text },
    [Symbol.toPrimitive]: { value: (hint: string) => (hint === "number" ? Number.NaN : text) },
    [Symbol.toStringTag]: { value: "ModuleProxy" },
    // util.inspect looks through a proxy at its target without running any trap: it finds this here.
    [inspect.custom]: { value: () => text },
  });
  const methods = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  return new Proxy(target, {
    get(own, prop) {
      if (typeof prop === "symbol") return Reflect.get(own, prop) as unknown;
      // Methods first, so that a repeated call through the proxy costs one map lookup.
      let fn = methods.get(prop);
      if (fn !== undefined) return fn;
      if (PROXY_OWN_NAMES.has(prop)) return Reflect.get(own, prop) as unknown;
      methods.set(prop, (fn = (...args: unknown[]) => call(prop, args)));
      return fn;
    },
  });
}
