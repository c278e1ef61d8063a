/** Options of {@link ReorderWindow}. */
export interface ReorderWindowOptions {
  /** How long an event after a missing seq waits for it before going on without it (ms). */
  windowMs: number;
  /** Most events held at once; one more lets them all go at once. */
  maxHeld: number;
  /** Receives the events, in seq order whenever the missing ones arrived in time. */
  emit: (raw: unknown) => void;
  /** Told of each event released only because the window ran out or filled up (a real gap). */
  onGiveUp?: () => void;
}

/**
 * Puts a group's resumable events back in seq order before anyone executes them.
 *
 * Changes of one chat commit in seq order, but their publishes can reach Redis in another order: two sends of one
 * chat commit one after the other, then each publishes on its own (two requests of one process, or two processes).
 * Without this window every member of a group would see the later seq first, take it for a lost event and read the
 * log to repair the "gap": 500 subscribers of a busy chat meant 500 identical replay queries per reordering, enough
 * to fill the gateway's bulkhead to the chats service. Here an event whose predecessor has not arrived is held until
 * it does (a reordering costs the held event the few milliseconds between the two publishes), or for at most
 * `windowMs`: a publish really lost (Redis refused it) is then repaired from the log by each subscriber, as before.
 *
 * The window only reorders: it drops nothing but a second copy of an event it holds. Events at or before the last seq let through (duplicates, or a late
 * one the window already gave up on) and events without a seq pass straight through: subscribers drop what they
 * already have.
 */
export class ReorderWindow {
  /** The seq the next in-order event carries (undefined until the first event). */
  private next: number | undefined;
  private readonly held = new Map<number, unknown>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ReorderWindowOptions) {}

  /** Events waiting for a missing seq. */
  get size(): number {
    return this.held.size;
  }

  /** An event of the stream, with its seq (undefined: not resumable, passed on as is). */
  push(raw: unknown, seq: number | undefined): void {
    if (seq === undefined || this.next === undefined || seq < this.next) {
      if (seq !== undefined && (this.next === undefined || seq >= this.next)) this.next = seq + 1;
      this.options.emit(raw);
      return;
    }
    if (seq > this.next) {
      if (this.held.has(seq)) return; // the same event again (a publish repeated): its first copy is held
      this.held.set(seq, raw);
      if (this.held.size > this.options.maxHeld) this.giveUp();
      else this.timer ??= setTimeout(() => this.giveUp(), this.options.windowMs);
      return;
    }
    this.next = seq + 1;
    this.options.emit(raw);
    this.releaseInOrder();
  }

  /** Lets every held event go, in seq order (the group is closing, or the window ran out). */
  flush(): void {
    this.clearTimer();
    if (this.held.size === 0) return;
    const seqs = [...this.held.keys()].sort((a, b) => a - b);
    for (const seq of seqs) {
      const raw = this.held.get(seq);
      this.held.delete(seq);
      this.next = Math.max(this.next ?? seq + 1, seq + 1);
      this.options.emit(raw);
    }
  }

  /** Stops the timer and drops what is held (the group closed: nobody is left to deliver to). */
  dispose(): void {
    this.clearTimer();
    this.held.clear();
  }

  private giveUp(): void {
    this.timer = undefined;
    if (this.held.size === 0) return;
    this.options.onGiveUp?.();
    this.flush();
  }

  private releaseInOrder(): void {
    while (this.held.has(this.next!)) {
      const raw = this.held.get(this.next!);
      this.held.delete(this.next!);
      this.next! += 1;
      this.options.emit(raw);
    }
    if (this.held.size === 0) this.clearTimer();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
