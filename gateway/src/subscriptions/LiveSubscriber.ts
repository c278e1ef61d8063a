import type { GraphQLError } from 'graphql';
import { userError } from '@chatgraph/errors';
import type { PreSerialized } from './PreSerialized';

/** One event ready to send: its seq (when the field is resumable) and its serialized result. */
export interface Delivery {
  seq: number | undefined;
  payload: PreSerialized;
}

/** Fetches the events after `afterSeq`, in seq order, already executed for this subscriber. */
export type ReplayFetcher = (afterSeq: number) => Promise<Delivery[]>;

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
 * One client subscription: an async iterator (what graphql-ws consumes) over a bounded queue, plus the exactly-once,
 * in-order logic of DESIGN.md section 3 for resumable fields:
 * - live events arrive (the topic is attached before any backfill starts, so none is missed);
 * - with a resume point it backfills from the log first, buffering live events meanwhile;
 * - it drops `seq <= last delivered` (duplicates) and, on `seq > last + 1` (a publish that never arrived), backfills
 *   the gap from the log before going on.
 * A subscriber that cannot keep up (queue over its limit) is closed with `SLOW_CONSUMER`; it resumes with `afterSeq`.
 */
export class LiveSubscriber implements AsyncIterableIterator<PreSerialized> {
  readonly viewerId: string | null;
  /** Seq of the last event handed to the queue (null until the first one when no resume point was given). */
  lastSeq: number | null;
  private readonly queue: PreSerialized[] = [];
  private readonly pending: Delivery[] = [];
  private waiting: Pull | undefined;
  private ended = false;
  private endError: GraphQLError | undefined;
  /** True while a backfill runs; set and cleared synchronously, so no live event can slip between the two. */
  private repairing = false;
  private repairRequested = false;

  constructor(private readonly options: LiveSubscriberOptions) {
    this.viewerId = options.viewerId;
    this.lastSeq = options.afterSeq ?? null;
  }

  /** True once ended (completed, closed by the client or terminated). */
  get isEnded(): boolean {
    return this.ended;
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
      this.pending.push(delivery);
      if (this.pending.length > this.options.queueLimit) this.closeSlow();
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
        try {
          const items = await this.options.replay!(this.lastSeq!);
          if (this.ended) return;
          for (const item of items) {
            if (item.seq !== undefined && item.seq > this.lastSeq!) {
              this.lastSeq = item.seq;
              this.options.stats.backfilled++;
              this.enqueue(item.payload);
            }
          }
        } catch (err) {
          this.options.onRepairError?.(err);
          if (this.ended) return;
          // A coded refusal (no longer a member, chat gone, afterSeq out of range) ends the subscription with it;
          // only an unavailable service is worth retrying.
          const code = (err as GraphQLError).extensions?.code;
          if (typeof code === 'string' && code !== 'SERVICE_UNAVAILABLE' && code !== 'INTERNAL_SERVER_ERROR') {
            this.end(err as GraphQLError);
            return;
          }
          await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** rounds, 2000)));
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

  private enqueue(payload: PreSerialized): void {
    if (this.ended) return;
    this.options.stats.delivered++;
    if (this.waiting) {
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
    this.endError = error;
    if (dropQueued) this.queue.length = 0;
    this.pending.length = 0;
    this.options.onEnd();
    if (this.waiting && this.queue.length === 0) {
      const pull = this.waiting;
      this.waiting = undefined;
      this.endError = undefined;
      // graphql-ws turns a thrown error into the operation's final `error` message, extensions included.
      if (error) pull.reject(error);
      else pull.resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<PreSerialized>> {
    const value = this.queue.shift();
    if (value) return Promise.resolve({ value, done: false });
    if (this.ended) {
      const error = this.endError;
      this.endError = undefined;
      return error ? Promise.reject(error) : Promise.resolve({ value: undefined, done: true });
    }
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
