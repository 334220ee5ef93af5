import { droppedNotice, OutputBudget } from "../OutputBudget.js";
import type { ChildTransport } from "./transport.js";

type Stream = "stdout" | "stderr";

/**
 * Bounds what the module writes to `process.stdout` and `process.stderr` (`console.log`,
 * `console.error`) to 1 MiB per second of each stream (see {@link OutputBudget}), before it
 * leaves the child; a line says how much was dropped.
 *
 * In a worker the output goes to the host as `output` messages, in order with its other
 * messages, so the host can tag each line with the module (Node would otherwise copy it into the
 * runtime's own stdout and stderr, untagged). In a process it goes on to the pipe the host reads:
 * a pipe write is asynchronous, so without the bound a flood piled up in the child's memory,
 * and writing the pile out blocked its event loop (and its heartbeats) for seconds, then ended
 * it with ENOBUFS.
 */
export function captureOutput(transport: ChildTransport): void {
  for (const stream of ["stdout", "stderr"] as const) {
    const forward = forwarder(transport, stream);
    const budget: OutputBudget = new OutputBudget((count) =>
      forward(droppedNotice(count, stream, budget.limit)),
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
      if (budget.take(text)) forward(text);
      if (typeof done === "function") process.nextTick(done);
      return true;
    };
    process[stream].write = write;
  }
}

/** Where a chunk of `stream` that passed the budget goes. */
function forwarder(transport: ChildTransport, stream: Stream): (text: string) => void {
  if (transport.isolation === "worker") return (text) => transport.send({ type: "output", stream, text });
  // Bound now: captureOutput replaces process[stream].write right after.
  const target = process[stream];
  const original = target.write.bind(target);
  return (text) => void original(text);
}
