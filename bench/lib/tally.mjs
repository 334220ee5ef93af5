/** Tallies of a load's outcomes: answers by the version that served them, failures by kind. */

/** Adds one to `counts[key]`. */
export function countIn(counts, key) {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** The kind a failed call is counted under: the error's code, else its name. */
export function failureKind(err) {
  return err?.code ?? err?.name ?? "error";
}
