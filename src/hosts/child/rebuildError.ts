/**
 * Rebuilds an error that crossed the host boundary. Shared by both sides, so it imports only
 * dependency-free files (see `main.ts`: the child may run under Node's permission model).
 */
import { ChipsetError } from "../../errors/ChipsetError.js";
import type { ErrorCode } from "../../errors/codes.js";
import type { SerializedError } from "../protocol.js";

// Built-in error classes keep their class across the boundary (`instanceof TypeError` works).
const builtins: Record<string, ErrorConstructor | undefined> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/**
 * The error `s` describes: a {@link ChipsetError} when its code is `CHIP_ERR_*` (so `hasCode`
 * and `instanceof` work as for an inline module), else an error of the same built-in class
 * with the same name, message, code, stack, module and details. Causes are rebuilt too.
 */
export function rebuildError(s: SerializedError): Error {
  const cause = s.cause === undefined ? undefined : rebuildError(s.cause);
  let err: Error & { code?: string; module?: string; details?: Record<string, unknown> };
  if (s.code?.startsWith("CHIP_ERR_")) {
    err = new ChipsetError(s.code as ErrorCode, s.message, { cause, module: s.module, details: s.details });
  } else {
    const Ctor = (Object.hasOwn(builtins, s.name) ? builtins[s.name] : undefined) ?? Error;
    err = new Ctor(s.message, cause === undefined ? undefined : { cause });
    if (err.name !== s.name) err.name = s.name;
    if (s.code !== undefined) err.code = s.code;
    if (s.module !== undefined) err.module = s.module;
    if (s.details !== undefined) err.details = s.details;
  }
  if (s.stack !== undefined) err.stack = s.stack;
  return err;
}
