import { ChipsetError, ErrorCodes, messageOf } from "../errors/index.js";
import { moduleKey } from "../vocabulary/moduleRef.js";
import type { BadRow } from "./RegistryTable.js";

/** `CHIP_ERR_MANIFEST_INVALID`: the module's files changed between reading and copying them. */
export function changedWhileAdding(file: string, cause?: unknown): ChipsetError {
  return new ChipsetError(
    ErrorCodes.MANIFEST_INVALID,
    `${file} changed while the module was being added${cause === undefined ? "" : ` (${messageOf(cause)})`}; add it again.`,
    { cause, details: { file, field: "" } },
  );
}

/** `CHIP_ERR_STORE_CORRUPT` for a row that cannot be read back, with how to repair it. */
export function badRowError(row: BadRow): ChipsetError {
  const key = moduleKey(row.id, row.version);
  return new ChipsetError(
    ErrorCodes.STORE_CORRUPT,
    `The registry row of ${key} is damaged: ${row.problem}. Run \`chipset doctor --repair\` to rebuild it from the store, ` +
      `or \`chipset remove ${key}\` and add it again.`,
    { module: key, details: { id: row.id, version: row.version, problem: row.problem } },
  );
}
