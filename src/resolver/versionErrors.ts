import { ChipsetError, ErrorCodes } from "../errors/index.js";
import { cannotRun, explanationText, type ConflictExplanation } from "./explainConflict.js";

const ADD_HINT = "`chipset add <dir>`";

/** `CHIP_ERR_MODULE_NOT_FOUND` for a requested module that has no installed version. */
export function moduleNotFound(id: string, range: string): ChipsetError {
  return new ChipsetError(
    ErrorCodes.MODULE_NOT_FOUND,
    `No module '${id}' is registered (requested ${range}). Add it with ${ADD_HINT}, or check the id.`,
    { module: id, details: { module: id, range } },
  );
}

/**
 * The error for a request that has no selection, with its explanation: `CHIP_ERR_DEPENDENCY_MISSING`
 * when it comes down to modules that are not installed, else `CHIP_ERR_VERSION_CONFLICT`.
 * `details` carries the structure (`modules`, `clashes`, `derivation`, `fixes`), and `module`,
 * `constraints` and `installed` of the first clash.
 */
export function unsolvable(explanation: ConflictExplanation): ChipsetError {
  const [clash] = explanation.clashes;
  const missing = explanation.clashes.length > 0 && explanation.clashes.every((c) => c.missing);
  const head = missing
    ? `Module '${clash!.id}' is not installed, but ${clash!.ranges.map((r) => `'${r.from}' requires it (${r.range})`).join(" and ")}. Add it with ${ADD_HINT}, or remove the requirement (or make it optional). Why:`
    : `${cannotRun(explanation.modules)}: no choice of installed versions meets every requirement. Why:`;
  const constraints = clash?.ranges.map(({ from, range }) => ({ from, range })) ?? [];
  return new ChipsetError(
    missing ? ErrorCodes.DEPENDENCY_MISSING : ErrorCodes.VERSION_CONFLICT,
    `${head}\n${explanationText(explanation)}`,
    {
      ...(clash === undefined ? {} : { module: clash.id }),
      details: {
        module: clash?.id ?? null,
        constraints,
        installed: clash?.installed ?? [],
        modules: explanation.modules,
        clashes: explanation.clashes,
        derivation: explanation.derivation,
        conclusion: explanation.conclusion,
        fixes: explanation.fixes,
      },
    },
  );
}
