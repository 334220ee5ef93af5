import { Histogram, type Registry } from "prom-client";
import { DURATION_BUCKETS, type CallTally } from "./CallTally.js";

type Exported = Awaited<ReturnType<Histogram<"module" | "method">["get"]>>;

const NAME = "chipset_call_duration_seconds";
const HELP =
  "Duration of calls into modules, from the call to its answer (policies, retries and fallback included), in seconds.";

/**
 * `chipset_call_duration_seconds`: a prom-client histogram whose buckets are read from the
 * {@link CallTally}s when scraped, rather than observed through prom-client on every call
 * (which hashes the label values each time).
 */
export class TallyHistogram extends Histogram<"module" | "method"> {
  constructor(
    registry: Registry,
    private readonly tallies: () => Iterable<CallTally>,
  ) {
    super({
      name: NAME,
      help: HELP,
      labelNames: ["module", "method"],
      buckets: [...DURATION_BUCKETS],
      registers: [registry],
    });
  }

  override get(): Promise<Exported> {
    const values: Exported["values"] = [];
    const name = NAME;
    for (const t of this.tallies()) {
      const labels: Record<string, string | number> = { module: t.module, method: t.method };
      let cumulative = 0;
      const bucket = (le: number | string, value: number): void => {
        const withLe: Record<string, string | number> = { ...labels, le };
        values.push({ metricName: `${name}_bucket`, labels: withLe, value });
      };
      DURATION_BUCKETS.forEach((le, i) => bucket(le, (cumulative += t.buckets[i]!)));
      bucket("+Inf", t.count);
      values.push({ metricName: `${name}_sum`, labels, value: t.sum });
      values.push({ metricName: `${name}_count`, labels, value: t.count });
    }
    // prom-client's types declare `type` a numeric enum; its code (and the registry) use the name.
    const type = "histogram" as unknown as Exported["type"];
    return Promise.resolve({ name, help: HELP, type, aggregator: "sum", values, collect: () => undefined });
  }

  /** What the registry renders as text (prom-client's histogram has its own; this one's values are already flat). */
  getForPromString(): Promise<Exported> {
    return this.get();
  }
}
