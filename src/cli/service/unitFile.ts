import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { ChipsetError } from "../../errors/ChipsetError.js";
import { ErrorCodes } from "../../errors/codes.js";
import { isOurUnit } from "./renderUnit.js";

/** What is at a unit's path now. */
export type UnitFileState = "absent" | "ours" | "foreign";

/** Whether `file` is missing, a unit `chipset service install` wrote, or someone else's. */
export function unitFileState(file: string): UnitFileState {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "absent";
    throw serviceError(`${file} cannot be read: ${(err as Error).message}`, "read-failed", file, err);
  }
  return isOurUnit(text) ? "ours" : "foreign";
}

/** Refuses (`CHIP_ERR_SERVICE_FAILED`, reason `not-ours`) to touch a unit chipset did not write, unless `force`. */
export function assertOurs(file: string, state: UnitFileState, force: boolean, doing: string): void {
  if (state !== "foreign" || force) return;
  throw serviceError(
    `${file} was not written by \`chipset service install\`: not ${doing} it. Choose another unit with --name, or pass --force to ${doing} it anyway`,
    "not-ours",
    file,
  );
}

/**
 * Writes `text` to `file` (mode 0644, its directory made if needed) in one step: a temporary
 * file beside it renamed over it, so systemd never reads half a unit. `CHIP_ERR_SERVICE_FAILED`
 * (reason `write-failed`) when the directory is not writable.
 */
export function writeUnitFile(file: string, text: string): void {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(temp, text, { mode: 0o644 });
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    const denied = ["EACCES", "EPERM", "EROFS"].includes((err as NodeJS.ErrnoException).code ?? "");
    const hint = denied
      ? " (a system unit needs root: run it with sudo, or install a user unit with --user)"
      : "";
    throw serviceError(
      `${file} cannot be written: ${(err as Error).message}${hint}`,
      "write-failed",
      file,
      err,
    );
  }
}

/** Removes `file`; `CHIP_ERR_SERVICE_FAILED` (reason `remove-failed`) when it cannot be. */
export function removeUnitFile(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch (err) {
    throw serviceError(`${file} cannot be removed: ${(err as Error).message}`, "remove-failed", file, err);
  }
}

/** A `CHIP_ERR_SERVICE_FAILED` naming the unit file and why (`details.reason`). */
export function serviceError(
  message: string,
  reason: string,
  unitFile: string,
  cause?: unknown,
  details: Record<string, unknown> = {},
): ChipsetError {
  return new ChipsetError(ErrorCodes.SERVICE_FAILED, message, {
    ...(cause === undefined ? {} : { cause }),
    details: { reason, unitFile, ...details },
  });
}
