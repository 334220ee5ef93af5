import type { Command } from "commander";
import type { DispatchRequest } from "../vocabulary/dispatch.js";
import { usageError } from "./usage.js";

/** The options `dispatch --explain` and `execute` describe a request with, as commander hands them over. */
export interface DispatchRequestOptions {
  type?: string;
  capability?: string[];
  key?: string;
  label?: string[];
  strategy?: string;
}

/** Adds `--type`, `--capability` (repeatable), `--key`, `--label k=v` (repeatable) and `--strategy` to `command`. */
export function withDispatchRequestOptions(command: Command): Command {
  const repeat = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];
  return command
    .option("--type <type>", "the engine type the call needs (a hard filter), such as wasm")
    .option("--capability <name>", "a capability the engine must have (repeat for more)", repeat)
    .option("--key <key>", "the key calls are hashed or kept sticky by (consistent_hash, affinity)")
    .option("--label <name=value>", "a label preferred (affinity; repeat for more)", repeat)
    .option(
      "--strategy <name>",
      "the strategy for this request (default score): round_robin, least_loaded, weighted_random, capability, affinity, consistent_hash, score, or one the application registered",
    );
}

/**
 * The `DispatchRequest` the options describe; `CHIP_ERR_CLI_USAGE` naming the option for a
 * label that is not `name=value` or a value that is empty.
 */
export function dispatchRequestOf(opts: DispatchRequestOptions): DispatchRequest {
  const request: { -readonly [K in keyof DispatchRequest]: DispatchRequest[K] } = {};
  for (const name of ["type", "key", "strategy"] as const) {
    const value = opts[name];
    if (value === undefined) continue;
    if (value.trim() === "" && name !== "key")
      throw usageError(`--${name} takes a name, not an empty string`, { option: `--${name}` });
    request[name] = value;
  }
  if (opts.capability !== undefined) {
    const empty = opts.capability.find((c) => c.trim() === "");
    if (empty !== undefined)
      throw usageError("--capability takes a capability name, not an empty string", {
        option: "--capability",
      });
    request.capabilities = opts.capability;
  }
  if (opts.label !== undefined) {
    const labels: Array<[string, string]> = [];
    for (const text of opts.label) {
      const at = text.indexOf("=");
      if (at <= 0)
        throw usageError(`--label takes name=value (such as --label zone=eu), not ${JSON.stringify(text)}`, {
          option: "--label",
          value: text,
        });
      labels.push([text.slice(0, at), text.slice(at + 1)]);
    }
    // fromEntries makes own properties, even of a name such as __proto__.
    request.labels = Object.fromEntries(labels);
  }
  return request;
}
