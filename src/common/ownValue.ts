/**
 * `record[key]` when `key` is one of `record`'s own properties, else undefined: never a member
 * of `Object.prototype` such as `constructor` or `toString`. Keys that come from users (module
 * ids, method names) are read through this, since `{}.constructor` is Object itself.
 */
export function ownValue<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}
