import { parseModuleRef } from "../vocabulary/moduleRef.js";

/** Distinct refs remembered; past it the memo starts again (refs are caller-made strings). */
const MAX_REFS = 10_000;

/** A module ref as the call path uses it: the id, and the range it targets (absent: any). */
export interface ParsedRef {
  id: string;
  range: string | undefined;
}

/**
 * Parses each distinct ref (`id` or `id@range`) once: a plain id takes the application's own
 * range for it (`use`, through `useRange`), so calls need no parsing on the hot path.
 */
export class RefMemo {
  private readonly refs = new Map<string, ParsedRef>();

  constructor(private readonly useRange: (id: string) => string | undefined) {}

  /** `ref` as an id and a range. */
  parse(ref: string): ParsedRef {
    let parsed = this.refs.get(ref);
    if (parsed === undefined) {
      if (this.refs.size >= MAX_REFS) this.refs.clear();
      const { id, version } = parseModuleRef(ref);
      this.refs.set(ref, (parsed = { id, range: version ?? this.useRange(id) }));
    }
    return parsed;
  }
}
