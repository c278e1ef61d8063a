import { classifyLiveError, type LiveFailure } from '../../src/classifyLiveError.ts';
import type { LiveSink, LiveTransport } from '../../src/LiveConnection.ts';
import type { LiveOperation } from '../../src/LiveStream.ts';

/** An event of the fake chat log. */
export interface FakeEvent {
  seq: number;
  text: string;
}

/** One subscription the stream opened. */
export interface FakeSubscription {
  afterSeq: number | null;
  sink: LiveSink<FakeEvent | null>;
  active: boolean;
}

/**
 * A stand-in for the gateway's `chatEvents`, for unit tests of the stream logic: a chat log, subscriptions that
 * replay after `afterSeq` and then get live events, and the failures a real connection has (drops, duplicates,
 * holes, errors), all under the test's control and synchronous.
 */
export class FakeLiveServer implements LiveTransport {
  readonly log: FakeEvent[] = [];
  readonly subscriptions: FakeSubscription[] = [];
  connected = false;
  /** Connect as soon as a subscription arrives (like a healthy gateway). */
  autoConnect = true;
  /** Replay the log after `afterSeq` to each new subscription (like the gateway's backfill). */
  replay = true;
  /** Seqs never delivered live nor replayed (a publish lost for good). */
  readonly lost = new Set<number>();
  private readonly listeners = new Set<() => void>();

  /** The operation to give a LiveStream. */
  readonly operation: LiveOperation<FakeEvent> = (_transport, afterSeq, sink) => {
    const sub: FakeSubscription = { afterSeq, sink, active: true };
    this.subscriptions.push(sub);
    if (this.autoConnect) {
      this.connect();
      if (this.replay) for (const e of this.log) if (afterSeq === null || e.seq > afterSeq) this.send(sub, e);
    }
    return () => {
      sub.active = false;
    };
  };

  subscribe(): () => void {
    throw new Error('use `operation`');
  }

  onConnected(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  classify(err: unknown): LiveFailure {
    return classifyLiveError(err, { wasAcknowledged: true, consecutiveRefusals: 0 });
  }

  /** The socket is acknowledged. */
  connect(): void {
    if (this.connected) return;
    this.connected = true;
    for (const l of [...this.listeners]) l();
  }

  /** The newest seq of the log. */
  get lastSeq(): number {
    return this.log.length ? this.log[this.log.length - 1]!.seq : 0;
  }

  /** Appends an event to the log and delivers it live to active subscriptions. */
  append(text: string): FakeEvent {
    const event = { seq: this.lastSeq + 1, text };
    this.log.push(event);
    for (const sub of this.active()) this.send(sub, event);
    return event;
  }

  /** Appends an event whose live delivery is lost (it stays in the log unless `forever`). */
  appendLost(text: string, forever = false): FakeEvent {
    const event = { seq: this.lastSeq + 1, text };
    this.log.push(event);
    if (forever) this.lost.add(event.seq);
    return event;
  }

  /** Sends an arbitrary event (e.g. a duplicate) to active subscriptions. */
  resend(seq: number): void {
    const event = this.log.find((e) => e.seq === seq)!;
    for (const sub of this.active()) this.send(sub, event);
  }

  /** Drops the connection: every active subscription fails with `err` (a close event by default). */
  drop(err: unknown = { code: 1006, reason: '' }): void {
    this.connected = false;
    for (const sub of this.active()) {
      sub.active = false;
      sub.sink.error(err);
    }
  }

  /** Ends the latest subscription with GraphQL errors of `code` (SLOW_CONSUMER, FORBIDDEN...). */
  fail(code: string): void {
    const sub = this.latest();
    sub.active = false;
    sub.sink.error([{ message: `failed with ${code}`, extensions: { code } }]);
  }

  /** The latest subscription. */
  latest(): FakeSubscription {
    return this.subscriptions[this.subscriptions.length - 1]!;
  }

  active(): FakeSubscription[] {
    return this.subscriptions.filter((s) => s.active);
  }

  private send(sub: FakeSubscription, event: FakeEvent): void {
    if (this.lost.has(event.seq) || !sub.active) return;
    sub.sink.next({ data: { ...event } });
  }
}

/** Resolves when `predicate` holds (polling; the stream's work is all promise- and timer-driven). */
export async function until(predicate: () => boolean, what = 'condition', timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}
