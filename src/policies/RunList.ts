/** What an item of a {@link RunList} carries: its own links. */
export interface Linked<T> {
  prev: T | undefined;
  next: T | undefined;
  listed: boolean;
}

/** An intrusive doubly linked list of runs (each run holds its own links). */
export class RunList<T extends Linked<T>> {
  private head: T | undefined = undefined;

  add(run: T): void {
    run.next = this.head;
    if (this.head !== undefined) this.head.prev = run;
    this.head = run;
    run.listed = true;
  }

  remove(run: T): void {
    if (!run.listed) return;
    run.listed = false;
    if (run.prev !== undefined) run.prev.next = run.next;
    else this.head = run.next;
    if (run.next !== undefined) run.next.prev = run.prev;
    run.prev = run.next = undefined;
  }

  /** What the list holds now (a copy: items may leave while the caller goes through them). */
  items(): T[] {
    const runs: T[] = [];
    for (let r = this.head; r !== undefined; r = r.next) runs.push(r);
    return runs;
  }

  /** Empties the list and answers what it held. */
  drain(): T[] {
    const runs = this.items();
    for (const r of runs) this.remove(r);
    return runs;
  }
}
