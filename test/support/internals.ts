import type { Runtime } from "../../src/runtime/Runtime.js";
import type { Assembly } from "../../src/runtime/Assembly.js";

/**
 * White-box: the parts a runtime is made of (its host pool, supervisor, crash trap...), for the
 * tests that check what no public API shows, such as every worker and child process having ended.
 */
export function internals(rt: Runtime): Assembly {
  return (rt as unknown as { parts: Assembly }).parts;
}
