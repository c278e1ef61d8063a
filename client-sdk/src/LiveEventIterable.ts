import type { ChatGraphError } from './ChatGraphError.ts';
import type { LiveHandlers, LiveStream, LiveStreamStats, StreamStatus } from './LiveStream.ts';

/**
 * A live stream as an async iterable: `for await (const event of stream)`. Events are buffered until read; the loop
 * ends when the stream is closed (`close()`, or `break` out of the loop) and throws the {@link ChatGraphError} that
 * ended it otherwise. Iterate it once.
 */
export class LiveEventIterable<T> implements AsyncIterable<T> {
  private readonly stream: LiveStream<T>;
  private readonly buffer: T[] = [];
  private waiting: { resolve: (result: IteratorResult<T>) => void; reject: (err: unknown) => void } | undefined;
  private failure: ChatGraphError | undefined;
  private ended = false;

  /** @param start opens the underlying stream with the given handlers. */
  constructor(start: (handlers: LiveHandlers<T>) => LiveStream<T>, onStatus?: (status: StreamStatus) => void) {
    this.stream = start({
      next: (value) => {
        if (this.waiting) {
          const waiting = this.waiting;
          this.waiting = undefined;
          waiting.resolve({ value, done: false });
        } else {
          this.buffer.push(value);
        }
      },
      error: (error) => {
        this.failure = error;
      },
      status: (status) => {
        if (status === 'closed') this.end();
        onStatus?.(status);
      },
    });
  }

  /** The current status. */
  get status(): StreamStatus {
    return this.stream.status;
  }

  /** The seq of the last event received from the server (read or still buffered), for streams with seqs. */
  get lastSeq(): number | null {
    return this.stream.lastSeq;
  }

  /** Counters, for diagnostics. */
  get stats(): LiveStreamStats {
    return this.stream.stats;
  }

  /** Calls `listener` on each status change; returns the function that stops it. */
  onStatus(listener: (status: StreamStatus) => void): () => void {
    return this.stream.onStatus(listener);
  }

  /** Ends the stream; a waiting `for await` loop finishes after the buffered events. */
  close(): void {
    this.stream.close();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.next(),
      return: () => {
        this.close();
        this.buffer.length = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  private next(): Promise<IteratorResult<T>> {
    if (this.buffer.length) return Promise.resolve({ value: this.buffer.shift()!, done: false });
    if (this.ended) {
      const failure = this.failure;
      this.failure = undefined;
      return failure ? Promise.reject(failure) : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  private end(): void {
    this.ended = true;
    const waiting = this.waiting;
    if (!waiting) return;
    this.waiting = undefined;
    const failure = this.failure;
    this.failure = undefined;
    if (failure) waiting.reject(failure);
    else waiting.resolve({ value: undefined, done: true });
  }
}
