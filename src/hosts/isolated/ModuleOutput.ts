import { droppedNotice, OutputBudget } from "../OutputBudget.js";
import { StderrLines } from "./StderrLines.js";

type Stream = "stdout" | "stderr";

/**
 * A worker's or process's console output on its way to the module's log: split into lines,
 * stdout as `info` and stderr as `warn`, each stream bounded by an {@link OutputBudget}, with a
 * line saying how much was dropped where output was.
 */
export class ModuleOutput {
  private readonly streams: Record<Stream, { lines: StderrLines; budget: OutputBudget }>;

  /** @param log writes one line to the module's log. */
  constructor(log: (level: "info" | "warn", obj: { stream: Stream }, line: string) => void) {
    const stream = (name: Stream, level: "info" | "warn") => {
      const lines = new StderrLines((line) => log(level, { stream: name }, line));
      const budget: OutputBudget = new OutputBudget((count) =>
        lines.push(droppedNotice(count, name, budget.limit)),
      );
      return { lines, budget };
    };
    this.streams = { stdout: stream("stdout", "info"), stderr: stream("stderr", "warn") };
  }

  /** Takes the next chunk of `stream`. */
  push(stream: Stream, text: string): void {
    const { lines, budget } = this.streams[stream];
    if (budget.take(text)) lines.push(text);
  }

  /** The output ended: says what the last second dropped, and passes on partial lines. */
  end(): void {
    for (const { lines, budget } of Object.values(this.streams)) {
      budget.report();
      lines.flush();
    }
  }
}
