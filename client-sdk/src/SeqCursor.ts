/** What to do with an event of a resumable stream. */
export type SeqVerdict =
  /** The next event in order: hand it to the caller. */
  | 'deliver'
  /** Already delivered (a replay overlapping what was seen): drop it. */
  | 'duplicate'
  /** Events are missing before it: do not deliver it; resume from the last delivered seq instead. */
  | 'gap';

/**
 * The resume point of a chat's event stream: the `seq` of the last event delivered to the caller. Events are
 * delivered only in order (`last + 1`), so the caller sees each event once, in order, whatever the server resends.
 */
export class SeqCursor {
  /** The `seq` of the last event delivered (the `afterSeq` to resume from). */
  get last(): number {
    return this.lastSeq;
  }

  /** @param lastSeq the resume point: events with a larger seq are wanted. */
  constructor(private lastSeq: number) {
    if (!Number.isInteger(lastSeq) || lastSeq < 0)
      throw new RangeError(`A resume point is a seq >= 0, not ${lastSeq}.`);
  }

  /** Classifies an incoming event's seq and, when it is the next one, advances past it. */
  accept(seq: number): SeqVerdict {
    if (seq <= this.lastSeq) return 'duplicate';
    if (seq !== this.lastSeq + 1) return 'gap';
    this.lastSeq = seq;
    return 'deliver';
  }

  /**
   * Accepts `seq` even though events before it are missing. For the last resort only: when the server keeps resending
   * a stream with the same hole, delivering beats stalling forever.
   */
  skipTo(seq: number): void {
    if (seq > this.lastSeq) this.lastSeq = seq;
  }
}
