// One file on purpose (~340 lines): a live stream is one state machine (subscribe, resume point, seq cursor, failure
// classification, backoff, status); its transitions are easier to check when they read in one place.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { backoffDelay, type BackoffOptions } from './backoff.ts';
import { ChatGraphError } from './ChatGraphError.ts';
import type { LiveFailure } from './classifyLiveError.ts';
import type { GraphQLResult } from './HttpExecutor.ts';
import type { LiveSink, LiveTransport } from './LiveConnection.ts';
import { SeqCursor } from './SeqCursor.ts';

/**
 * Where a live stream is:
 * - `connecting`: first connection (and, for chat events, fetching the resume point);
 * - `catching-up`: connected, receiving events that happened before now (after a start in the past or a reconnect);
 * - `live`: connected and up to date: what arrives now is happening now;
 * - `reconnecting`: the connection or subscription dropped; waiting (backoff) or reconnecting;
 * - `closed`: ended, by `close()` or by an error that retrying cannot fix.
 */
export type StreamStatus = 'connecting' | 'catching-up' | 'live' | 'reconnecting' | 'closed';

/** Callbacks of a live stream. */
export interface LiveHandlers<T> {
  /** Each event, once and (for chat events) in `seq` order. */
  next(value: T): void;
  /** Each status change. */
  status?(status: StreamStatus): void;
  /** The error that ended the stream (FORBIDDEN, NOT_FOUND, UNAUTHENTICATED...); `closed` follows. */
  error?(error: ChatGraphError): void;
}

/** Counters of a live stream, for diagnostics. */
export interface LiveStreamStats {
  /** Events handed to `next`. */
  delivered: number;
  /** Events dropped because they were already delivered (`seq <=` the last one). */
  duplicatesDropped: number;
  /** Times the stream resubscribed from its last seq because events were missing before one that arrived. */
  gapsResumed: number;
  /** Times the stream subscribed again after a failure. */
  reconnects: number;
}

/** Makes a stream resumable: it remembers the last `seq` and resubscribes after it. */
export interface ResumeSpec<T> {
  /**
   * The seq to start after, and whether it is the newest seq right now (then the stream is live as soon as it is
   * connected, without asking `newest()`).
   */
  start(): Promise<{ afterSeq: number; isNewest: boolean }>;
  /** The newest seq right now, to tell catching up from live; null when it cannot be known. */
  newest(): Promise<number | null>;
  /** The seq of an event. */
  seqOf(value: T): number;
}

/**
 * Starts one subscription for the events after `afterSeq` (null for streams that do not resume); the sink receives
 * results whose `data` is the event itself (null when the result carries none). See {@link liveOperation}.
 */
export type LiveOperation<T> = (
  transport: LiveTransport,
  afterSeq: number | null,
  sink: LiveSink<T | null>,
) => () => void;

/**
 * The {@link LiveOperation} of a subscription document.
 * @param variables the subscription's variables, given the seq to resume after
 * @param pick the event of a result's data (usually the root field)
 */
export function liveOperation<TData, TVariables, T>(
  document: TypedDocumentNode<TData, TVariables>,
  variables: (afterSeq: number | null) => TVariables,
  pick: (data: TData) => T | null | undefined,
): LiveOperation<T> {
  return (transport, afterSeq, sink) =>
    transport.subscribe(document, variables(afterSeq), {
      next: (result) => sink.next({ data: result.data ? (pick(result.data) ?? null) : null, errors: result.errors }),
      error: (err) => sink.error(err),
      complete: () => sink.complete(),
    });
}

/** Options of {@link LiveStream}. */
export interface LiveStreamOptions<T> {
  transport: LiveTransport;
  operation: LiveOperation<T>;
  resume?: ResumeSpec<T>;
  backoff?: BackoffOptions;
  /** Source of jitter. @default Math.random */
  random?: () => number;
}

type Outcome = LiveFailure | { action: 'stop' };

// Resubscribing because of a hole is tried this often in a row; then the hole is accepted rather than stall forever.
const MAX_GAP_RESUMES = 3;
// A subscription that lived this long before failing starts the backoff over.
const STABLE_MS = 30_000;

/**
 * A subscription that survives failures: it resubscribes with backoff and jitter after dropped connections, gateway
 * restarts, `SLOW_CONSUMER` and `SUBSCRIPTION_RESTART`, and ends only on `close()` or an error retrying cannot fix.
 * With a {@link ResumeSpec} it also keeps the last `seq`, resubscribes with `afterSeq` = that seq, drops duplicates
 * and never delivers past a hole, so the caller sees every event exactly once, in order.
 */
export class LiveStream<T> {
  /** Counters, for diagnostics. */
  readonly stats: LiveStreamStats = { delivered: 0, duplicatesDropped: 0, gapsResumed: 0, reconnects: 0 };
  private currentStatus: StreamStatus = 'connecting';
  private cursor: SeqCursor | undefined;
  private knownNewest: number | undefined;
  private attempt = 0;
  private gapStreak = 0;
  private stop: (() => void) | undefined;
  private wake: (() => void) | undefined;
  private closedFlag = false;
  private readonly statusListeners = new Set<(status: StreamStatus) => void>();

  constructor(
    private readonly options: LiveStreamOptions<T>,
    private readonly handlers: LiveHandlers<T>,
  ) {
    // Started after the constructor returns, so that callbacks never run before the caller holds the stream.
    queueMicrotask(() => void this.run());
  }

  /** The current status. */
  get status(): StreamStatus {
    return this.currentStatus;
  }

  /**
   * Where the stream resumes: the seq of the last event delivered (the start point before the first one). Null for
   * streams without seqs, and until the start point is known.
   */
  get lastSeq(): number | null {
    return this.cursor?.last ?? null;
  }

  /** Calls `listener` on each status change (in addition to `handlers.status`); returns the function that stops it. */
  onStatus(listener: (status: StreamStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Ends the stream: unsubscribes, stops reconnecting, status `closed`. Idempotent. */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.stop?.();
    this.wake?.();
    this.setStatus('closed');
  }

  private async run(): Promise<void> {
    const { resume } = this.options;
    if (this.closedFlag) return;
    try {
      if (resume) {
        const start = await this.startPoint(resume);
        if (!start) return;
        this.cursor = new SeqCursor(start.afterSeq);
        if (start.isNewest) this.knownNewest = start.afterSeq;
      }
      while (!this.closedFlag) {
        const outcome = await this.subscribeOnce();
        if (this.closedFlag || outcome.action === 'stop') return;
        if (outcome.action === 'fatal') return this.fail(outcome.error);
        this.stats.reconnects++;
        this.setStatus('reconnecting');
        if (outcome.delay === 'backoff')
          await this.sleep(backoffDelay(this.attempt++, this.options.backoff, this.options.random));
      }
    } catch (err) {
      this.fail(
        err instanceof ChatGraphError ? err : new ChatGraphError('INTERNAL_SERVER_ERROR', String(err), { cause: err }),
      );
    }
  }

  /** Resolves the resume point, retrying transient failures; undefined when closed or failed meanwhile. */
  private async startPoint(resume: ResumeSpec<T>): Promise<{ afterSeq: number; isNewest: boolean } | undefined> {
    for (;;) {
      try {
        const start = await resume.start();
        return this.closedFlag ? undefined : start;
      } catch (err) {
        if (this.closedFlag) return undefined;
        if (!(err instanceof ChatGraphError) || !err.transient) throw err;
        await this.sleep(backoffDelay(this.attempt++, this.options.backoff, this.options.random));
        if (this.closedFlag) return undefined;
      }
    }
  }

  /** One subscription, from subscribe to its end; resolves with what to do next. */
  private subscribeOnce(): Promise<Outcome> {
    const { transport, resume } = this.options;
    return new Promise<Outcome>((resolve) => {
      const startedAt = Date.now();
      let settled = false;
      // Replaced by the real one once the transport returns it (the transport may fail before that, synchronously).
      let unsubscribe: () => void = () => undefined;
      let connected = transport.connected;
      // undefined: not known yet. With a target the stream is catching up until it has delivered that seq.
      let target: number | null | undefined = this.knownNewest;
      this.knownNewest = undefined;

      const evaluate = () => {
        if (settled || !connected) return;
        if (!resume) return this.setStatus('live');
        if (target === undefined) return this.setStatus('catching-up');
        this.setStatus(target === null || this.cursor!.last >= target ? 'live' : 'catching-up');
      };
      const finish = (outcome: Outcome) => {
        if (settled) return;
        settled = true;
        stopListening();
        unsubscribe();
        this.stop = undefined;
        if (Date.now() - startedAt >= STABLE_MS) this.attempt = 0;
        resolve(outcome);
      };
      const stopListening = transport.onConnected(() => {
        connected = true;
        evaluate();
      });
      this.stop = () => finish({ action: 'stop' });

      if (resume && target === undefined) {
        resume.newest().then(
          (newest) => {
            target = newest;
            evaluate();
          },
          () => {
            target = null;
            evaluate();
          },
        );
      }

      unsubscribe = this.options.operation(transport, this.cursor?.last ?? null, {
        next: (result) => {
          if (settled) return;
          const value = result.data;
          if (value === null || value === undefined) return finish(this.failedResult(result));
          if (!resume) return this.deliver(value);
          const seq = resume.seqOf(value);
          switch (this.cursor!.accept(seq)) {
            case 'deliver':
              this.gapStreak = 0;
              this.deliver(value);
              return evaluate();
            case 'duplicate':
              this.stats.duplicatesDropped++;
              return;
            case 'gap':
              if (this.gapStreak++ >= MAX_GAP_RESUMES) {
                this.cursor!.skipTo(seq);
                this.deliver(value);
                return evaluate();
              }
              this.stats.gapsResumed++;
              return finish({
                action: 'retry',
                delay: 'now',
                error: new ChatGraphError(
                  'NETWORK_ERROR',
                  `Events before seq ${seq} were missing; resuming after the last one delivered.`,
                ),
              });
          }
        },
        error: (err) => finish(transport.classify(err)),
        complete: () =>
          finish({
            action: 'retry',
            delay: 'backoff',
            error: new ChatGraphError('NETWORK_ERROR', 'The server ended the subscription.'),
          }),
      });
      // A synchronous failure ran finish() with the placeholder: stop the real subscription now.
      if (settled) unsubscribe();
      else evaluate();
    });
  }

  private failedResult(result: GraphQLResult<unknown>): LiveFailure {
    // A result without the event: its data could not be produced (e.g. a subgraph down). Resubscribing later replays
    // it for resumable streams, so nothing is skipped.
    const error = result.errors?.length
      ? ChatGraphError.fromGraphQLErrors(result.errors)
      : new ChatGraphError('BAD_RESPONSE', 'A live result carried no data.');
    return { action: 'retry', delay: 'backoff', error };
  }

  private deliver(value: T): void {
    this.attempt = 0;
    this.stats.delivered++;
    try {
      this.handlers.next(value);
    } catch (err) {
      // A throwing handler must not break the stream; report it like an event listener's exception.
      queueMicrotask(() => {
        throw err;
      });
    }
  }

  private fail(error: ChatGraphError): void {
    if (this.closedFlag) return;
    this.handlers.error?.(error);
    this.close();
  }

  private setStatus(status: StreamStatus): void {
    if (status === this.currentStatus) return;
    if (this.closedFlag && status !== 'closed') return;
    this.currentStatus = status;
    this.handlers.status?.(status);
    for (const listener of [...this.statusListeners]) listener(status);
  }

  /** Waits `ms`, or less if the stream is closed meanwhile. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
