/** How modules and their versions are named in refs, keys and messages. */

/** `id@version`: the key of an instance and of a registry row. */
export function moduleKey(id: string, version: string): string {
  return `${id}@${version}`;
}

/** Splits `id[@version]` (scoped ids such as `@acme/x@1.0.0` included). */
export function parseModuleRef(ref: string): { id: string; version?: string } {
  const at = ref.lastIndexOf("@");
  if (at > 0) return { id: ref.slice(0, at), version: ref.slice(at + 1) };
  return { id: ref };
}
