import { droppedNotice, OutputBudget } from "../OutputBudget.js";
import type { ChildTransport } from "./transport.js";

/**
 * Inside a worker: sends what the module writes to `process.stdout` and `process.stderr`
 * (`console.log`, `console.error`) to the host as `output` messages, in order with its other
 * messages, so the host can tag each line with the module. Node would otherwise copy it into
 * the runtime's own stdout and stderr, untagged. (A process host's output goes through pipes.)
 * At most 1 MiB per second of each stream is sent (see {@link OutputBudget}); a line says how
 * much was dropped.
 */
export function captureOutput(transport: ChildTransport): void {
  for (const stream of ["stdout", "stderr"] as const) {
    const budget: OutputBudget = new OutputBudget((count) =>
      transport.send({ type: "output", stream, text: droppedNotice(count, stream, budget.limit) }),
    );
    const write = (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
      const done = typeof encoding === "function" ? encoding : callback;
      // `encoding` says how a string chunk encodes its bytes (utf8 unless told); bytes are read as UTF-8.
      const bytes =
        typeof chunk !== "string"
          ? Buffer.from(chunk as Uint8Array)
          : typeof encoding === "string" && Buffer.isEncoding(encoding)
            ? Buffer.from(chunk, encoding)
            : undefined;
      const text = bytes === undefined ? (chunk as string) : bytes.toString("utf8");
      if (budget.take(text)) transport.send({ type: "output", stream, text });
      if (typeof done === "function") process.nextTick(done);
      return true;
    };
    process[stream].write = write;
  }
}
