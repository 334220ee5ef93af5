/**
 * A replica's last `size` calls (document 004's 错误率 and 响应时间): the share that failed and the
 * mean time of those that succeeded. A ring with running sums, so recording a call allocates
 * nothing and costs a few additions.
 */
export class CallWindow {
  // Duration of each call in ms; FAILED marks a failed call (its time says nothing about speed).
  private readonly ring: Float64Array;
  private next = 0;
  private filled = 0;
  private failed = 0;
  private okMs = 0;

  constructor(private readonly size: number) {
    this.ring = new Float64Array(size);
  }

  /** Calls recorded, at most `size`. */
  get calls(): number {
    return this.filled;
  }

  /** Failed share of the calls in the window, 0 to 1; undefined while empty. */
  get errorRate(): number | undefined {
    return this.filled === 0 ? undefined : this.failed / this.filled;
  }

  /** Mean time in ms of the successful calls in the window; undefined while none succeeded. */
  get meanMs(): number | undefined {
    const ok = this.filled - this.failed;
    return ok === 0 ? undefined : this.okMs / ok;
  }

  succeeded(durationMs: number): void {
    this.push(Math.max(0, durationMs));
  }

  failedCall(): void {
    this.push(FAILED);
  }

  /** Forgets every call (a restart, or a return from ejection: judged afresh). */
  clear(): void {
    this.next = this.filled = this.failed = this.okMs = 0;
  }

  private push(value: number): void {
    if (this.filled === this.size) {
      const old = this.ring[this.next]!;
      if (old === FAILED) this.failed--;
      else this.okMs -= old;
    } else this.filled++;
    this.ring[this.next] = value;
    if (value === FAILED) this.failed++;
    else this.okMs += value;
    this.next = (this.next + 1) % this.size;
    // Running sums drift by rounding; an empty success set resets them exactly.
    if (this.failed === this.filled) this.okMs = 0;
  }
}

const FAILED = -1;
