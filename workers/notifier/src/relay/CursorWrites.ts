import type { LogPosition } from './EventLogReader';

/**
 * Writes a relay's cursor behind its confirms, coalesced: at most one write in flight and at most one begun every
 * `intervalMs`. A position confirmed while a write waits replaces the one waiting, so a relay moving 50 small batches a
 * second writes its cursor at most 1000 / `intervalMs` times, not 50. The cursor is where the next relay resumes after
 * this one stops or dies; lagging it by up to `intervalMs` of confirmed events only means those are published again
 * after a crash, which consumers already take (they are idempotent on the event identity, and publishing is at least
 * once anyway). A relay that stops writes the last confirmed position before it lets go of the shard ({@link finish}).
 *
 * A write that fails is kept ({@link throwIfFailed}) and `onFailure` wakes the relay to see it: its session ends
 * (its connection is gone) and the next one resumes from the cursor last written.
 */
export class CursorWrites {
  /** Confirmed and not written yet. */
  private wanted: LogPosition | null = null;
  private writing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | undefined;
  private lastBegun = -Infinity;
  private failure: unknown;
  private finished = false;

  constructor(
    private readonly write: (to: LogPosition) => Promise<void>,
    private readonly intervalMs: number,
    private readonly onFailure: () => void,
  ) {}

  /** `to` is confirmed: written now, or with the next write. */
  save(to: LogPosition): void {
    this.wanted = to;
    this.schedule();
  }

  /**
   * Writes what is confirmed and not written yet, now (after the write in flight), and writes nothing after; throws if
   * a write failed. The relay's session ends with it.
   */
  async finish(): Promise<void> {
    this.finished = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.writing) await this.writing;
    this.throwIfFailed();
    const to = this.wanted;
    this.wanted = null;
    if (to) await this.write(to);
  }

  throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private schedule(): void {
    if (this.finished || this.writing || this.timer || !this.wanted || this.failure !== undefined) return;
    const wait = this.lastBegun + this.intervalMs - performance.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, wait);
      return;
    }
    const to = this.wanted;
    this.wanted = null;
    this.lastBegun = performance.now();
    this.writing = this.write(to).then(
      () => {
        this.writing = null;
        this.schedule();
      },
      (err: unknown) => {
        this.writing = null;
        this.failure ??= err;
        this.onFailure();
      },
    );
  }
}
