import type { Channel } from "./Channel.js";

/** A host's memory at one reading, in bytes (`rss` is the whole process's, for a worker). */
export interface MemoryReading {
  heapUsed: number;
  rss: number;
}

/**
 * The memory of one isolated host: the reading each heartbeat brings, and on Node 24 a read of
 * a worker's heap from the runtime's thread, which Node usually answers between two steps of the
 * worker's JavaScript, so a module that keeps its worker's event loop busy (and its heartbeat
 * silent until the hang timeout) is still measured.
 */
export class MemoryGauge {
  /** The latest reading; undefined until the first. */
  current: MemoryReading | undefined = undefined;
  /** A read of the worker's heap from this thread is under way. */
  private reading = false;

  /** @param rssLimit the most resident memory the host may use, in bytes (a process host's `limits.memoryMb`); absent: none. */
  constructor(private readonly rssLimit: number | undefined) {}

  /** Takes a heartbeat's reading; true when its resident memory is over the limit. */
  heartbeat(reading: MemoryReading): boolean {
    this.current = reading;
    return this.rssLimit !== undefined && reading.rss > this.rssLimit;
  }

  /**
   * Starts a read of `channel`'s heap from this thread, when it offers one (a worker on Node 24)
   * and none is under way; the reading lands in {@link current} if `channel` is still `live()`'s.
   */
  read(channel: Channel | undefined, live: () => Channel | undefined): void {
    if (channel === undefined || this.reading) return;
    const read = channel.readHeapUsed();
    if (read === undefined) return;
    this.reading = true;
    read.then(
      (heapUsed) => {
        this.reading = false;
        // A worker's rss is this process's, which this thread reads as well as the worker.
        if (channel === live()) this.current = { heapUsed, rss: process.memoryUsage.rss() };
      },
      () => {
        // The worker ended meanwhile; its exit is reported on its own.
        this.reading = false;
      },
    );
  }
}
