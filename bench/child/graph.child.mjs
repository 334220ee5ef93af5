/** One cold sample of benchmark 3: the first call of one contender in a fresh process. Args: <contender index> <dag.json>. */
import { readFileSync } from "node:fs";
import { childMain } from "../lib/child.mjs";
import { CONTENDERS } from "../lib/graphs.mjs";

const [index, file] = process.argv.slice(2);

childMain(async () => {
  const { nodes, deps } = JSON.parse(readFileSync(file, "utf8"));
  const dag = { nodes, deps: new Map(deps) };
  const [name, fn] = CONTENDERS[Number(index)];
  const t0 = performance.now();
  const order = fn(dag);
  const elapsed = performance.now() - t0;
  if (order.length !== nodes.length) throw new Error(`${name}: ${order.length} of ${nodes.length} nodes`);
  return { name, ms: elapsed };
});
