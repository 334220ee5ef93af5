/**
 * Prints bench/.results/latest.json, or the results file named, as Markdown tables (what
 * BENCHMARKS.md quotes):
 *   node bench/report.mjs > /tmp/tables.md
 *   node bench/report.mjs bench/.results/node24.json
 */
import { readFileSync } from "node:fs";
import { HEADER, table } from "./lib/stats.mjs";

const file = process.argv[2] ?? new URL("./.results/latest.json", import.meta.url);
const data = JSON.parse(readFileSync(file, "utf8"));

function markdown(header, rows) {
  const esc = (c) => String(c).replace(/\|/g, "\\|");
  return [
    `| ${header.map(esc).join(" | ")} |`,
    `|${header.map((_, i) => (i === 0 ? "---" : "--:")).join("|")}|`,
    ...rows.map((r) => `| ${r.map((c, i) => esc(i === 0 ? String(c).trim() || " " : c)).join(" | ")} |`),
  ].join("\n");
}

const { machine } = data;
console.log(
  `Machine: ${machine.cpu}, ${machine.nproc} cores, ${machine.memory} RAM, node ${machine.node}, ${machine.platform}; run ${machine.date}; load average ${machine.loadAverageAtStart?.join(" ")} at start, ${machine.loadAverageAtEnd?.join(" ")} at end${data.quick ? " (QUICK)" : ""}; wall ${data.wallSeconds.toFixed(0)} s\n`,
);
for (const result of Object.values(data.results)) {
  console.log(`### ${result.name}\n`);
  if (result.rows) console.log(markdown(HEADER, result.rows));
  for (const [i, t] of (result.tables ?? []).entries())
    console.log(`${i > 0 ? "\n" : ""}${t.title}:\n\n${markdown(t.header, t.rows)}`);
  if (result.coldRows)
    console.log(`\nCold (first call in a fresh process):\n\n${markdown(HEADER, result.coldRows)}`);
  if (result.chain) {
    console.log("\n10,000-long chain:\n");
    for (const [name, r] of Object.entries(result.chain))
      console.log(`- ${name}: ${r.ok ? `ok, ${r.ms.toFixed(1)} ms` : `throws \`${r.error}\``}`);
  }
  if (result.cycle) {
    console.log("\nDAG plus one back edge:\n");
    for (const [name, r] of Object.entries(result.cycle))
      console.log(
        `- ${name}: ${r.ok ? "cycle NOT detected" : `detected in ${r.ms.toFixed(1)} ms (${r.code ?? r.error.split(":")[0]})`}`,
      );
  }
  console.log("");
}
const targets = Object.values(data.results).flatMap((r) =>
  r.targets.map((t) => [r.name, t.name, t.value, t.met ? "met" : "MISSED"]),
);
console.log(markdown(["benchmark", "target", "measured", "status"], targets));
if (process.argv.includes("--text"))
  console.log(`\n${table(["benchmark", "target", "measured", "status"], targets)}`);
