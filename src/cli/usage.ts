import { CommanderError } from "commander";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";

/** A `CHIP_ERR_CLI_USAGE` error (exit status 2) with `message` and a pointer to the help. */
export function usageError(message: string, details: Record<string, unknown> = {}): ChipsetError {
  return new ChipsetError(ErrorCodes.CLI_USAGE, `${message}; see \`chipset --help\``, { details });
}

/**
 * Turns an error commander raised (unknown command or option, missing argument...) into a
 * `CHIP_ERR_CLI_USAGE` error; returns undefined for help and version, which are not errors.
 */
export function fromCommanderError(err: CommanderError): ChipsetError | undefined {
  if (err.exitCode === 0) return undefined;
  if (err.code === "commander.help") return usageError("no command given", { commander: err.code });
  let message = err.message
    .replace(/^error: /, "")
    .replace(/\s*\n\s*/g, " ")
    .replace(/\.$/, "");
  const option = /unknown option '(-[^']*)'/.exec(message)?.[1];
  if (option !== undefined && !Number.isNaN(Number(option))) {
    message += ` (to pass a negative number to \`call\`, put \`--\` before the arguments: \`chipset call <id> <method> -- ${option}\`)`;
  }
  return usageError(message, { commander: err.code });
}

/** True when `err` was thrown by commander (its `exitOverride` turns every exit into a throw). */
export function isCommanderError(err: unknown): err is CommanderError {
  return err instanceof CommanderError;
}
