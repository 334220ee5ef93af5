/** One series' counter as last read, and what earlier loads of its module had counted. */
interface Series {
  load: number;
  last: number;
  before: number;
}

/**
 * Turns counters that start again from zero whenever a module is loaded (a restart, a reload,
 * an unload and a later load) into totals that never go down: when a series' module was loaded
 * again since the last reading (or its counter went down), what it had counted is carried over.
 * What a module used between the last scrape and its unload is not seen (its host is gone).
 */
export class MonotonicTotals {
  private readonly series = new Map<string, Series>();

  /**
   * The total of series `key` (its module `id@version` first, then a space), whose counter reads
   * `value` now in the module's `load`th load (a number that changes each time it is loaded).
   */
  total(key: string, load: number, value: number): number {
    const s = this.series.get(key);
    if (s === undefined) {
      this.series.set(key, { load, last: value, before: 0 });
      return value;
    }
    if (load !== s.load || value < s.last) {
      s.before += s.last;
      s.load = load;
    }
    s.last = value;
    return s.before + value;
  }

  /** Forgets the series of module `id` (every version), or of `id@version` (it was removed). */
  forget(id: string, version?: string): void {
    const key = `${id}@${version}`;
    for (const series of this.series.keys())
      if (
        version === undefined
          ? series.startsWith(`${id}@`)
          : series.startsWith(`${key} `) || series.startsWith(`${key}#`)
      )
        this.series.delete(series);
  }
}
