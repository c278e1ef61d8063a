// One file on purpose (~310 lines): the exactly-once, in-order state machine of one subscription (queue, backfill
// paging, gap repair, slow-consumer close); split, its invariants would span files.
import type { GraphQLError } from 'graphql';
import { liveAction, userError } from '@chatgraph/errors';
import type { PreSerialized } from './PreSerialized';

/** One event ready to send: its seq (when the field is resumable) and its serialized result. */
export interface Delivery {
  seq: number | undefined;
  payload: PreSerialized;
}

/** One page of the log after a seq, already executed for this subscriber; `complete` when it reached the end. */
export interface ReplayPage {
  deliveries: Delivery[];
  complete: boolean;
}

/** Fetches the page of events after `afterSeq`, in seq order. */
export type ReplayFetcher = (afterSeq: number) => Promise<ReplayPage>;

/**
 * Writes one result straight to the client's socket as the subscription's `next` message. Returns false, writing
 * nothing, when the socket is backed up: the result then goes through the iterator, whose pace is the socket's.
 */
export interface DirectWriter {
  write(payload: PreSerialized): boolean;
}

/** What the WebSocket layer sees of a live subscription: an async iterator that knows whether it has ended. */
export interface LiveIterator extends AsyncIterableIterator<PreSerialized> {
  readonly isEnded: boolean;
  /**
   * From now on, live events may be written with `writer` instead of being handed through the iterator (see
   * {@link LiveSubscriber} for when). Set by the WebSocket layer once the operation is registered under its id.
   */
  writeDirectly(writer: DirectWriter): void;
}

/** Options of {@link LiveSubscriber}. */
export interface LiveSubscriberOptions {
  viewerId: string | null;
  /** Most events waiting for this subscriber before it is closed as a slow consumer. */
  queueLimit: number;
  /** Present when the field is resumable (`@live(replay:)`): enables backfill and gap repair. */
  replay?: ReplayFetcher;
  /** Resume point: deliver every event after this seq. */
  afterSeq?: number | null;
  /** Called once when the subscriber ends, for whatever reason. */
  onEnd: () => void;
  /** Reports counters (duplicates dropped, gaps repaired, ...). */
  stats: SubscriberStats;
  /** Reports a failure of a repair attempt. */
  onRepairError?: (err: unknown) => void;
}

/** Engine-wide counters updated by subscribers. */
export interface SubscriberStats {
  delivered: number;
  duplicatesDropped: number;
  gapsDetected: number;
  backfilled: number;
  slowConsumersClosed: number;
}

interface Pull {
  resolve: (result: IteratorResult<PreSerialized>) => void;
  reject: (err: unknown) => void;
}

const MAX_REPAIR_ROUNDS = 5;

/**
 * One client subscription: an async iterator (what its LiveOperation consumes) over a bounded queue, plus exactly-once,
 * in-order delivery for resumable fields:
 * - live events arrive (the topic is attached before any backfill starts, so none is missed);
 * - with a resume point it backfills from the log first, one page at a time, reading the next page only once the
 *   client has taken most of the previous one: a client any distance behind catches up at the speed it reads. Live
 *   events that arrive meanwhile are held (and dropped if too many: the log has them and the backfill reads on);
 * - it drops `seq <= last delivered` (duplicates) and, on `seq > last + 1` (a publish that never arrived), backfills
 *   the gap from the log before going on.
 * A client that stops reading while live events keep coming (queue over its limit) is closed with `SLOW_CONSUMER`;
 * it resumes with `afterSeq`.
 *
 * The direct path (fan-out's cost): handing a result through the iterator costs a promise, a callback and a pull
 * per subscriber and event. So while the consumer has sent everything it was handed and waits
 * for more (a pull is pending), no backfill is running and a {@link DirectWriter} is set, a live event is written
 * straight to the socket and the pull stays pending. Order holds: a direct write happens only when nothing handed
 * earlier is still unsent, and anything after a refused write (a backed-up socket) is queued behind it until the
 * consumer has drained the queue and waits again. The end of the subscription still goes through the pending pull,
 * so the connection sends its `complete` or `error` after every event written before.
 */
export class LiveSubscriber implements LiveIterator {
  readonly viewerId: string | null;
  /** Seq of the last event handed to the queue (null until the first one when no resume point was given). */
  lastSeq: number | null;
  private readonly queue: PreSerialized[] = [];
  private readonly pending: Delivery[] = [];
  private waiting: Pull | undefined;
  private writer: DirectWriter | undefined;
  private drainWaiter: (() => void) | undefined;
  private ended = false;
  private endError: GraphQLError | undefined;
  /** True while a backfill runs; set and cleared synchronously, so no live event can slip between the two. */
  private repairing = false;
  private repairRequested = false;
  /** The backfill reads its next page once the queue is down to this many events. */
  private readonly lowWater: number;

  constructor(private readonly options: LiveSubscriberOptions) {
    this.viewerId = options.viewerId;
    this.lastSeq = options.afterSeq ?? null;
    this.lowWater = Math.max(1, Math.floor(options.queueLimit / 4));
  }

  /** True once ended (completed, closed by the client or terminated). */
  get isEnded(): boolean {
    return this.ended;
  }

  writeDirectly(writer: DirectWriter): void {
    if (!this.ended) this.writer = writer;
  }

  /** Starts the backfill from the resume point, if there is one. */
  start(): void {
    if (this.options.replay && this.lastSeq !== null) this.repair();
  }

  /** A live event for this subscriber: delivered in order, dropped if already delivered, or held while a gap is repaired. */
  deliver(delivery: Delivery): void {
    if (this.ended) return;
    if (!this.options.replay || delivery.seq === undefined) {
      this.enqueue(delivery.payload);
      return;
    }
    if (this.repairing) {
      // The backfill reads the log up to its end, which has these events too: holding them is only a shortcut.
      if (this.pending.length >= this.options.queueLimit) this.pending.length = 0;
      this.pending.push(delivery);
      return;
    }
    if (!this.accept(delivery)) {
      this.options.stats.gapsDetected++;
      this.pending.push(delivery);
      this.repair();
    }
  }

  /** Re-reads the log after the last delivered seq (after a Redis reconnect, or a suspected gap). */
  repair(): void {
    if (this.ended || !this.options.replay || this.lastSeq === null) return;
    if (this.repairing) {
      this.repairRequested = true;
      return;
    }
    this.repairing = true;
    void this.runRepair();
  }

  private accept(d: Delivery): boolean {
    const seq = d.seq!;
    if (this.lastSeq !== null && seq <= this.lastSeq) {
      this.options.stats.duplicatesDropped++;
      return true;
    }
    if (this.lastSeq !== null && seq > this.lastSeq + 1) return false;
    this.lastSeq = seq;
    this.enqueue(d.payload);
    return true;
  }

  private async runRepair(): Promise<void> {
    let rounds = 0;
    try {
      do {
        this.repairRequested = false;
        rounds++;
        const caughtUp = await this.backfill(rounds);
        if (this.ended) return;
        if (!caughtUp) {
          this.repairRequested = true;
          continue;
        }
        // Live events that arrived meanwhile, in seq order; a hole left means the log is behind the stream: read again.
        this.pending.sort((a, b) => a.seq! - b.seq!);
        while (this.pending.length) {
          if (!this.accept(this.pending[0]!)) {
            this.options.stats.gapsDetected++;
            this.repairRequested = true;
            break;
          }
          this.pending.shift();
        }
        if (this.repairRequested && rounds >= MAX_REPAIR_ROUNDS) {
          // The log never showed the missing seq: deliver what we have rather than stall the stream for good.
          for (const d of this.pending.splice(0)) {
            if (this.lastSeq === null || d.seq! > this.lastSeq) {
              this.lastSeq = d.seq!;
              this.enqueue(d.payload);
            }
          }
          this.repairRequested = false;
        }
      } while (this.repairRequested && !this.ended);
    } finally {
      // Same synchronous step as the last drain above: from here on live events are accepted directly.
      this.repairing = false;
    }
  }

  /**
   * Reads the log after `lastSeq` page by page until a page says it reached the end, pacing pages by the client's
   * reading. Resolves true when caught up, false after a failure worth retrying (after a backoff); a coded refusal
   * (no longer a member, chat gone) ends the subscription with it.
   */
  private async backfill(round: number): Promise<boolean> {
    for (;;) {
      let page: ReplayPage;
      try {
        page = await this.options.replay!(this.lastSeq!);
      } catch (err) {
        this.options.onRepairError?.(err);
        if (this.ended) return false;
        if (liveAction((err as GraphQLError).extensions?.code) !== 'resubscribe') {
          this.end(err as GraphQLError);
          return false;
        }
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** round, 2000)));
        return false;
      }
      if (this.ended) return false;
      for (const item of page.deliveries) {
        if (item.seq !== undefined && item.seq > this.lastSeq!) {
          this.lastSeq = item.seq;
          this.options.stats.backfilled++;
          this.enqueue(item.payload);
        }
      }
      if (page.complete || this.ended) return true;
      await this.drained();
      if (this.ended) return false;
    }
  }

  /** Resolves once the client has read the queue down to the low-water mark (or the subscriber ended). */
  private drained(): Promise<void> {
    if (this.queue.length <= this.lowWater || this.ended) return Promise.resolve();
    return new Promise((resolve) => (this.drainWaiter = resolve));
  }

  private wakeDrainWaiter(): void {
    if (this.drainWaiter && (this.queue.length <= this.lowWater || this.ended)) {
      const resolve = this.drainWaiter;
      this.drainWaiter = undefined;
      resolve();
    }
  }

  private enqueue(payload: PreSerialized): void {
    if (this.ended) return;
    this.options.stats.delivered++;
    if (this.waiting) {
      // Everything handed out before has been sent: write this one directly unless a backfill paces the stream.
      if (this.writer && !this.repairing && this.writer.write(payload)) return;
      const pull = this.waiting;
      this.waiting = undefined;
      pull.resolve({ value: payload, done: false });
      return;
    }
    this.queue.push(payload);
    if (this.queue.length > this.options.queueLimit) this.closeSlow();
  }

  private closeSlow(): void {
    this.options.stats.slowConsumersClosed++;
    this.queue.length = 0;
    this.end(
      userError(
        'SLOW_CONSUMER',
        'This subscription fell too far behind and was closed; resubscribe with afterSeq to resume.',
      ),
    );
  }

  /**
   * Ends the subscription. With an error, the client receives it (after what is already queued unless `dropQueued`)
   * as the operation's final `error` message.
   */
  end(error?: GraphQLError, dropQueued = false): void {
    if (this.ended) return;
    this.ended = true;
    this.writer = undefined;
    this.endError = error;
    if (dropQueued) this.queue.length = 0;
    this.pending.length = 0;
    this.options.onEnd();
    this.wakeDrainWaiter();
    if (this.waiting && this.queue.length === 0) {
      const pull = this.waiting;
      this.waiting = undefined;
      this.endError = undefined;
      // The connection turns a thrown error into the operation's final `error` message, extensions included.
      if (error) pull.reject(error);
      else pull.resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<PreSerialized>> {
    const value = this.queue.shift();
    if (value) {
      this.wakeDrainWaiter();
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) {
      const error = this.endError;
      this.endError = undefined;
      return error ? Promise.reject(error) : Promise.resolve({ value: undefined, done: true });
    }
    this.wakeDrainWaiter();
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<PreSerialized>> {
    this.end(undefined, true);
    if (this.waiting) {
      const pull = this.waiting;
      this.waiting = undefined;
      pull.resolve({ value: undefined, done: true });
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<PreSerialized>> {
    this.end(undefined, true);
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
