import { hasCode } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import { orderLevels } from "../resolver/DependencyGraph.js";

/** A dependency as the runtime orders by it. */
export interface OrderEdge {
  id: string;
  optional: boolean;
}

/**
 * Topological levels of `ids` over every dependency edge, so a present optional dependency
 * starts first (and stops last). A cycle that closes only through optional edges is not an
 * error (making one side optional is how a cycle is broken): then hard edges alone decide, and
 * such an optional dependency may still be starting when its dependent starts (`ctx.optional`
 * answers undefined until it runs). A cycle of hard edges throws `CHIP_ERR_DEPENDENCY_CYCLE`.
 */
export function orderModules(
  ids: readonly string[],
  depsOf: (id: string) => readonly OrderEdge[],
): string[][] {
  try {
    return orderLevels(ids, (id) => depsOf(id).map((d) => d.id)).levels;
  } catch (err) {
    if (!hasCode(err, ErrorCodes.DEPENDENCY_CYCLE)) throw err;
    return orderLevels(ids, (id) =>
      depsOf(id)
        .filter((d) => !d.optional)
        .map((d) => d.id),
    ).levels;
  }
}
