import type { Command } from "commander";
import { bisect } from "../../chaos/bisect.js";
import { healthTrial, type HealthCall } from "../../chaos/healthTrial.js";
import { systemClock } from "../../common/Clock.js";
import { ChipsetError } from "../../errors/ChipsetError.js";
import { withRuntime, type CliContext } from "../context.js";
import { usageError } from "../usage.js";
import { parseJsonArgs } from "./callAction.js";
import { globalsOf } from "../commands/globals.js";

function describe(err: unknown): string {
  return err instanceof ChipsetError ? `${err.code}: ${err.message}` : String(err);
}

/** Parses `module.method` or `module.method:[json, args]`. */
function parseCall(text: string): HealthCall {
  const colon = text.indexOf(":");
  const name = colon < 0 ? text : text.slice(0, colon);
  const dot = name.lastIndexOf(".");
  if (dot <= 0 || dot === name.length - 1)
    throw usageError(
      `--call ${text}: expected module.method or module.method:[json args], such as codec.probe:["media/clip.cvf"]`,
      { call: text },
    );
  const args = colon < 0 ? [] : parseJsonArgs([text.slice(colon + 1)])[0];
  if (!Array.isArray(args))
    throw usageError(`--call ${text}: the arguments after ":" must be a JSON array`, { call: text });
  return { id: name.slice(0, dot), method: name.slice(dot + 1), args };
}

function positive(name: string, text: string, max = Infinity): number {
  const n = Number(text);
  if (!(n > 0 && n <= max))
    throw usageError(
      `${name} must be a number above 0${max < Infinity ? ` and at most ${max}` : ""}, got ${text}`,
      { [name]: text },
    );
  return n;
}

/** Exit status when the runtime was unhealthy with every module (as `chaos run` for a hypothesis that did not hold). */
const UNHEALTHY_EXIT = 3;

/** One cause found, for people: a module, or modules that fail only together. */
function cause(group: string[]): string {
  return group.length === 1 ? group[0]! : `${group.join(" + ")} together`;
}

function sameModules(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

/** `chipset bisect`: what it does once commander has parsed its arguments (see commands/). */
export async function runBisect(
  ctx: CliContext,
  opts: {
    modules?: string;
    call: string[];
    probeMs: string;
    rate: string;
    minSuccess: string;
    json?: boolean;
  },
  cmd: Command,
): Promise<void> {
  const globals = globalsOf(cmd, ctx);
  const check = {
    probeMs: positive("--probe-ms", opts.probeMs),
    rate: positive("--rate", opts.rate, 10_000),
    minSuccess: positive("--min-success", opts.minSuccess, 1),
    calls: opts.call.map(parseCall),
  };
  const candidates =
    opts.modules
      ?.split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "") ??
    (await withRuntime(globals, ctx, (runtime) => [...new Set(runtime.queries.list().map((m) => m.id))]));
  if (candidates.length === 0)
    throw usageError("there are no modules to bisect; register some with chipset add", {});
  // Trials done against a first guess of how many there will be (one culprit: log2 n + 2).
  const progress = ctx.out.progress(opts.json === true);
  progress.start(Math.ceil(Math.log2(candidates.length)) + 2, "trial 1");
  const result = await bisect(
    candidates,
    // Every trial is a fresh runtime on the same data directory: nothing carries over between them.
    (subset) =>
      withRuntime(globals, ctx, (runtime) => healthTrial(runtime, subset, check, systemClock)).catch(
        // A trial whose runtime would not shut down cleanly was not healthy either.
        (err: unknown) => ({ healthy: false, detail: `shutdown failed: ${describe(err)}` }),
      ),
    {
      onTrial: (trial, n) => {
        progress.note(
          `trial ${n}: ${trial.modules.join(", ") || "(none)"}: ${trial.healthy ? "healthy" : `UNHEALTHY: ${trial.detail ?? ""}`}`,
        );
        progress.update(n, `trial ${n + 1}`);
      },
    },
  ).finally(() => progress.stop());
  // The runtime was unhealthy, whether or not a culprit could be named: a script must not read success.
  if (!result.healthy) ctx.exitCode = UNHEALTHY_EXIT;
  if (opts.json) return ctx.out.json(result);
  if (!result.found) return ctx.out.line(`no culprit found: ${result.note}`);
  const [only] = result.groups;
  const who =
    result.groups.length > 1
      ? `${result.groups.length} causes, each making the runtime unhealthy on its own: ${result.groups.map(cause).join("; ")}`
      : only!.length === 1
        ? `the module responsible is ${only![0]}`
        : `the modules responsible together are ${only!.join(" + ")} (each is fine alone)`;
  ctx.out.line(`${who}; ${result.note}`);
  for (const group of result.groups) {
    const seen = result.trials.find((t) => !t.healthy && sameModules(t.modules, group));
    if (seen?.detail) ctx.out.line(`  what went wrong with ${group.join(" + ")}: ${seen.detail}`);
  }
  ctx.out.line(`  ${result.trials.length} trials`);
}
