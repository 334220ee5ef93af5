/**
 * Copies of JSON-like data whose objects have no prototype, and back. Code that reads
 * `data[key]` for a key that comes from users (a JSON Schema validator: `data.constructor`,
 * `data.toString`) then sees only what the data holds, never a member of `Object.prototype`, and
 * assigning `data["__proto__"]` stores a property instead of replacing the prototype.
 */

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * `value` with every plain object in it (at any depth, through arrays) copied into an object
 * with a null prototype; other values (primitives, dates...) are kept as they are. Recursive:
 * a value nested deeper than the stack allows throws a RangeError.
 */
export function toBareData(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toBareData);
  if (!isPlainObject(value)) return value;
  const bare = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(value)) bare[key] = toBareData(value[key]);
  return bare;
}

/** Whether no plain object in `value` (at any depth, through arrays) has a prototype. */
export function isBareData(value: unknown): boolean {
  if (Array.isArray(value)) return value.every(isBareData);
  if (!isPlainObject(value)) return true;
  return Object.getPrototypeOf(value) === null && Object.values(value).every(isBareData);
}

/**
 * The inverse of {@link toBareData}: ordinary objects again (what module code expects:
 * `String(config)`, `config.hasOwnProperty`), with a key named `__proto__` kept as an own
 * property, as `JSON.parse` keeps it.
 */
export function fromBareData(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromBareData);
  if (!isPlainObject(value)) return value;
  const plain: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    Object.defineProperty(plain, key, {
      value: fromBareData(value[key]),
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  return plain;
}
