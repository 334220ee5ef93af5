/** A shared log that inline test modules write to (`globalThis.__trace.push(...)`), reset per test. */
export function trace(): string[] {
  const g = globalThis as { __trace?: string[] };
  g.__trace = [];
  return g.__trace;
}

/** Module code that records each lifecycle hook as `"<hook> <name>"` and exposes `api`. */
export function tracedModule(name: string, api = "{}", extraHooks = ""): string {
  const hook = (h: string) => `${h}() { globalThis.__trace.push("${h} ${name}"); },`;
  return `export const module = defineModule({ ${hook("init")} ${hook("start")} ${hook("stop")} ${extraHooks} api: ${api} });`;
}
