import type Redis from 'ioredis';

/** One message of a batch (see `RedisEventBus.publishMany`). */
export interface Publication {
  topic: string;
  /** Serialized as JSON; a payload object given for several topics is serialized once. */
  payload: unknown;
}

/**
 * Publishes that are issued together and written to a single Redis in one go: `PUBLISH` commands are queued on an
 * ioredis pipeline until {@link flush}, which writes them all with one socket write (one syscall instead of one per
 * message, in the order they were queued) and settles each publish with its own reply. A publish queued after the
 * flush goes out on its own through `late`. The whole batch shares one time limit: when Redis has not answered within
 * `timeoutMs`, every publish still waiting fails.
 */
export class PublishPipeline {
  private readonly pipeline: ReturnType<Redis['pipeline']>;
  private readonly waiting: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  private flushed = false;

  constructor(
    client: Redis,
    private readonly timeoutMs: number,
    /** How a publish queued after {@link flush} goes out (with its own time limit). */
    private readonly late: (topic: string, message: string) => Promise<void>,
  ) {
    this.pipeline = client.pipeline();
  }

  /** Queues `PUBLISH topic message`; resolves when Redis took it, rejects when it did not. */
  publish(topic: string, message: string): Promise<void> {
    if (this.flushed) return this.late(topic, message);
    return new Promise<void>((resolve, reject) => {
      this.pipeline.publish(topic, message);
      this.waiting.push({ resolve, reject });
    });
  }

  /** Writes the queued publishes (once; later publishes go out on their own). */
  flush(): void {
    if (this.flushed) return;
    this.flushed = true;
    const waiting = this.waiting;
    if (waiting.length === 0) return;
    let settled = false;
    const settle = (results: Array<[Error | null, unknown]> | null, err: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      waiting.forEach((w, i) => {
        const failed = err ?? results?.[i]?.[0] ?? null;
        if (failed) w.reject(failed);
        else w.resolve();
      });
    };
    const timer = setTimeout(
      () => settle(null, new Error(`publish timed out after ${this.timeoutMs} ms`)),
      this.timeoutMs,
    );
    this.pipeline.exec().then(
      (results) => settle(results ?? [], results ? null : new Error('publish pipeline was discarded')),
      (err: Error) => settle(null, err),
    );
  }
}
