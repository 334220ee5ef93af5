import type { CallRun } from "./CallRun.js";

/** An intrusive doubly linked list of runs (each run holds its own links). */
export class RunList {
  private head: CallRun | undefined = undefined;

  add(run: CallRun): void {
    run.next = this.head;
    if (this.head !== undefined) this.head.prev = run;
    this.head = run;
    run.listed = true;
  }

  remove(run: CallRun): void {
    if (!run.listed) return;
    run.listed = false;
    if (run.prev !== undefined) run.prev.next = run.next;
    else this.head = run.next;
    if (run.next !== undefined) run.next.prev = run.prev;
    run.prev = run.next = undefined;
  }

  /** Empties the list and answers what it held. */
  drain(): CallRun[] {
    const runs: CallRun[] = [];
    for (let r = this.head; r !== undefined; r = r.next) runs.push(r);
    for (const r of runs) this.remove(r);
    return runs;
  }
}
