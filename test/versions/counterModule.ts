/**
 * The code of a counter module whose `hit()` answers its version (read from its own
 * package.json) and the count so far; it hands the count over on an update (`exportState` /
 * `importState`). `extra` adds to its api (a failing importState, a verify method...).
 */
export function counter(extra = ""): string {
  return `import { readFileSync } from "node:fs";
const own = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")).version;
let count = 0;
export const module = defineModule({
  api: {
    hit() { count++; return { version: own, count }; },
    ${extra.includes("selfTest") ? "" : "selfTest() { return true; },"}
    ${extra}
  },
  exportState() { return { count }; },
  importState(state) { count = state.count; },
});`;
}
