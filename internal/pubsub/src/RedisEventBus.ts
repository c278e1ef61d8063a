import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleAll,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import type { Logger } from '@chatgraph/logging';
import { ChannelSubscriber } from './ChannelSubscriber';
import type Redis from 'ioredis';
import { createRedis, isCluster, publishOn, type RedisClient, type RedisLocation } from './createRedis';
import type { Publication } from './Publication';

/** Options of {@link RedisEventBus}: where Redis is (`REDIS_URL`, or `REDIS_CLUSTER_NODES` for a cluster), and more. */
export interface RedisEventBusOptions extends RedisLocation {
  logger: Logger;
  /** Per-publish time limit; a publish that cannot reach Redis fails after this instead of queueing. @default 1000 */
  publishTimeoutMs?: number;
  /** Publishes failing in a row that open the breaker. @default 3 */
  breakerFailures?: number;
  /** How long an open breaker refuses publishes before one is tried again. @default 2000 */
  breakerHalfOpenMs?: number;
  /** Whether the publisher auto-pipelines (see `createRedis`). @default true */
  autoPipelining?: boolean;
}

/**
 * Publishes a batch in one command on a single Redis (see {@link RedisEventBus.publishMany}). ARGV: the number of
 * distinct payloads, the payloads, then a channel and the 1-based number of its payload per message, in the order
 * they are published. Returns how many messages it published.
 */
export const PUBLISH_BATCH_LUA = `
local payloads = tonumber(ARGV[1])
for i = payloads + 2, #ARGV, 2 do
  redis.call('PUBLISH', ARGV[i], ARGV[tonumber(ARGV[i + 1]) + 1])
end
return (#ARGV - payloads - 1) / 2`;

/** The publisher with the batch script defined on it (a single Redis). */
type BatchPublisher = Redis & { chatgraphPublishBatch(...args: string[]): Promise<number> };

/** Counters a service exposes about its publishing. */
export interface PublishStats {
  published: number;
  /** Publishes that did not reach Redis (errors, time-outs, and those the open breaker refused). */
  failed: number;
  /** Of `failed`, those the open breaker refused without trying. */
  refusedByBreaker: number;
  /** The publish breaker: `open` while Redis fails or does not answer. */
  breaker: 'closed' | 'open' | 'half-open';
}

const BREAKER_STATES = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
} as const;

/**
 * Redis pub/sub for chatgraph services, on ioredis: one publisher and one subscriber connection per process (see
 * `createRedis`), reconnecting forever with capped backoff. On a Redis Cluster it uses sharded pub/sub (`SPUBLISH`,
 * `SSUBSCRIBE`): a channel lives on the master of its hash slot, and after a failover the publisher reaches the
 * promoted replica and the subscriber subscribes there again. Publishing never blocks on a down Redis: the
 * publisher has no offline queue, so a publish during an outage fails fast, is counted and logged, and the caller
 * carries on (pub/sub is at-most-once; the chat event log is the truth). A breaker (cockatiel) opens after a few
 * publishes failed in a row, so while Redis is frozen (connected but silent) a publish fails at once instead of after
 * its time limit, and a request that publishes is not held up; it lets one publish through after
 * `breakerHalfOpenMs`, and closes when that one succeeds. The subscriber re-subscribes its channels by itself after a
 * reconnect ({@link channels} says when that is done).
 */
export class RedisEventBus {
  /** Publishes, and serves the reads of the process's live machinery (revocations). */
  readonly publisher: RedisClient;
  /** The subscriber connection; subscribe through {@link channels}. */
  readonly subscriber: RedisClient;
  /** Channel subscriptions on {@link subscriber}, the same way on a single server and on a cluster. */
  readonly channels: ChannelSubscriber;
  readonly stats: PublishStats = { published: 0, failed: 0, refusedByBreaker: 0, breaker: 'closed' };
  private readonly logger: Logger;
  private readonly publishTimeoutMs: number;
  /** Publishes written or waiting to be, until Redis answers them (see {@link close}). */
  private readonly inFlight = new Set<Promise<unknown>>();
  private breaker: CircuitBreakerPolicy;
  private readonly newBreaker: () => CircuitBreakerPolicy;

  constructor(options: RedisEventBusOptions) {
    this.logger = options.logger;
    this.publishTimeoutMs = options.publishTimeoutMs ?? 1000;
    this.newBreaker = () => {
      const breaker = circuitBreaker(handleAll, {
        halfOpenAfter: options.breakerHalfOpenMs ?? 2000,
        breaker: new ConsecutiveBreaker(options.breakerFailures ?? 3),
      });
      breaker.onStateChange((state) => {
        if (breaker !== this.breaker) return;
        this.stats.breaker = BREAKER_STATES[state];
        this.logger.warn({ breaker: this.stats.breaker }, 'redis publish breaker');
      });
      return breaker;
    };
    this.breaker = this.newBreaker();
    // On a single server the publisher auto-pipelines (see `createRedis`): the publishes issued in one turn of the
    // event loop, single ones and batches alike, go out in one write, in the order issued.
    this.publisher = createRedis(options, {
      name: 'publisher',
      offlineQueue: false,
      maxRetriesPerRequest: 1,
      autoPipelining: options.autoPipelining ?? true,
    });
    if (!isCluster(this.publisher)) {
      this.publisher.defineCommand('chatgraphPublishBatch', { numberOfKeys: 0, lua: PUBLISH_BATCH_LUA });
    }
    this.subscriber = createRedis(options, {
      name: 'subscriber',
      offlineQueue: true,
      maxRetriesPerRequest: null,
      subscriber: true,
    });
    this.channels = new ChannelSubscriber(this.subscriber, this.logger);
    // A connection that is ready again proves Redis is back: publish at once instead of refusing until the breaker's
    // next probe (an event committed then would otherwise reach live subscribers only with the chat's next event).
    this.publisher.on('ready', () => {
      if (this.stats.breaker === 'closed') return;
      this.breaker = this.newBreaker();
      this.stats.breaker = 'closed';
      this.logger.info('redis publish breaker closed: the publisher reconnected');
    });
    for (const [role, client] of [
      ['publisher', this.publisher],
      ['subscriber', this.subscriber],
    ] as const) {
      // Without a listener ioredis would print every failed reconnect as an unhandled error.
      client.on('error', (err: Error) => this.logger.warn({ role, err: err.message }, 'redis connection error'));
    }
  }

  /**
   * Publishes `payload` (JSON) on `topic`. Resolves true when Redis took it, false when it could not (logged and
   * counted); never rejects.
   */
  publish(topic: string, payload: unknown): Promise<boolean> {
    return this.attempt(topic, 1, () =>
      this.withinTimeLimit(publishOn(this.publisher, topic, JSON.stringify(payload))),
    );
  }

  /**
   * Publishes several messages, in order, each with its own result. A payload object given for several topics is
   * serialized once.
   *
   * On a single Redis the whole batch is one command ({@link PUBLISH_BATCH_LUA}): each payload is sent once however
   * many channels it goes on (a change's activity goes to every member's channel), and the batch is one publish to
   * the time limit and the breaker, so it is taken or refused as a whole (`published` and `failed` still count its
   * messages). It is auto-pipelined like any publish, so publishes issued in the same turn share its write, in the
   * order issued. On a Redis Cluster the channels live on different masters, and each message goes out on its own.
   */
  publishMany(messages: readonly Publication[]): Promise<boolean[]> {
    // Each distinct payload object, serialized once, with its 1-based number among them.
    const payloads: string[] = [];
    const numbers = new Map<unknown, number>();
    const numberOf = (payload: unknown) => {
      let number = numbers.get(payload);
      if (number === undefined) {
        number = payloads.push(JSON.stringify(payload));
        numbers.set(payload, number);
      }
      return number;
    };
    if (isCluster(this.publisher) || messages.length < 2) {
      return Promise.all(
        messages.map((m) => {
          const message = payloads[numberOf(m.payload) - 1]!;
          return this.attempt(m.topic, 1, () => this.withinTimeLimit(publishOn(this.publisher, m.topic, message)));
        }),
      );
    }
    // ARGV: the number of distinct payloads, the payloads, then (channel, payload number) per message.
    const pairs: string[] = [];
    for (const m of messages) pairs.push(m.topic, String(numberOf(m.payload)));
    const publisher = this.publisher as BatchPublisher;
    return this.attempt(messages[0]!.topic, messages.length, () =>
      this.withinTimeLimit(publisher.chatgraphPublishBatch(String(payloads.length), ...payloads, ...pairs)),
    ).then((taken) => messages.map(() => taken));
  }

  /**
   * Runs one publish (or one batch of `count` messages) through the breaker, counting and logging; resolves whether
   * Redis took it.
   */
  private async attempt(topic: string, count: number, publish: () => Promise<unknown>): Promise<boolean> {
    try {
      await this.breaker.execute(publish);
      this.stats.published += count;
      return true;
    } catch (err) {
      this.stats.failed += count;
      if (err instanceof BrokenCircuitError) {
        // Logged once, when the breaker opened; counted here.
        this.stats.refusedByBreaker += count;
        return false;
      }
      this.logger.warn(
        { topic, messages: count, err: (err as Error).message, failed: this.stats.failed },
        'publish to redis failed',
      );
      return false;
    }
  }

  /** Waits for a publish issued on the publisher, up to the time limit; tracked until Redis answers (see close). */
  private async withinTimeLimit(sent: Promise<unknown>): Promise<void> {
    this.inFlight.add(sent);
    const settled = () => this.inFlight.delete(sent);
    sent.then(settled, settled);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        sent,
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`publish timed out after ${this.publishTimeoutMs} ms`)),
            this.publishTimeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes both connections, after the publishes already issued were answered (or their time limit passed). */
  async close(): Promise<void> {
    this.channels.close();
    // QUIT is written at once, while an issued publish may wait for the end of the turn, or behind a batch still
    // waiting for its replies (one auto-pipeline at a time): they go first, for at most one publish time limit.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((resolve) => (timer = setTimeout(resolve, this.publishTimeoutMs))),
    ]);
    clearTimeout(timer);
    await Promise.all([this.publisher.quit(), this.subscriber.quit()].map((p) => p.catch(() => undefined)));
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }
}
