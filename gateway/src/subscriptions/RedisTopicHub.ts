import { userError } from '@chatgraph/errors';
import type { Logger } from '@chatgraph/logging';
import type { ChannelSubscriber } from '@chatgraph/pubsub';

/** Receives the parsed payloads published on a topic. */
export type TopicListener = (payload: unknown, topic: string) => void;

interface TopicEntry {
  listeners: Set<TopicListener>;
  subscription: Promise<unknown>;
}

/**
 * One Redis channel subscription per topic per gateway instance, shared by every local listener; payloads are parsed
 * once per message. It subscribes through the process's {@link ChannelSubscriber} (plain pub/sub on a single Redis,
 * sharded pub/sub on a cluster), handles every command's failure here, and counts a subscription only once it is
 * confirmed. `attach` resolves only once Redis has confirmed the subscription, so a caller that then reads the event
 * log cannot miss an event published in between. After a Redis reconnect or a cluster failover (the channels are
 * subscribed again by themselves), `onResubscribed` listeners run so subscriptions can repair what was published
 * while the link was down.
 */
export class RedisTopicHub {
  private readonly topics = new Map<string, TopicEntry>();

  constructor(
    private readonly subscriber: ChannelSubscriber,
    private readonly logger: Logger,
    private readonly attachTimeoutMs = 5000,
  ) {
    subscriber.onMessage((channel, message) => this.dispatch(channel, message));
  }

  /** Number of topics this instance is subscribed to. */
  get size(): number {
    return this.topics.size;
  }

  /** Calls `listener` after each Redis reconnect, once the channels are subscribed again. Returns an unsubscribe. */
  onResubscribed(listener: () => void): () => void {
    return this.subscriber.onResubscribed(listener);
  }

  /**
   * Adds a listener to a topic, subscribing the channel on first use; resolves when the channel is live. Throws
   * `SERVICE_UNAVAILABLE` if Redis does not confirm in time. Returns the detach function.
   */
  async attach(topic: string, listener: TopicListener): Promise<() => void> {
    let entry = this.topics.get(topic);
    if (!entry) {
      const subscription = this.subscriber.subscribe(topic);
      entry = { listeners: new Set(), subscription };
      this.topics.set(topic, entry);
      subscription.catch((err: Error) => this.logger.warn({ topic, err: err.message }, 'redis subscribe failed'));
    }
    entry.listeners.add(listener);
    const detach = () => this.detach(topic, listener);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        entry.subscription,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), this.attachTimeoutMs);
        }),
      ]);
    } catch {
      detach();
      throw userError(
        'SERVICE_UNAVAILABLE',
        'Live events are unavailable right now (Redis does not answer); retry shortly.',
      );
    } finally {
      clearTimeout(timer);
    }
    return detach;
  }

  private dispatch(channel: string, message: string): void {
    const entry = this.topics.get(channel);
    if (!entry) return;
    let payload: unknown;
    try {
      payload = JSON.parse(message);
    } catch {
      this.logger.warn({ topic: channel }, 'a live event that is not JSON was ignored');
      return;
    }
    for (const listener of entry.listeners) {
      try {
        listener(payload, channel);
      } catch (err) {
        this.logger.error({ err, topic: channel }, 'topic listener failed');
      }
    }
  }

  private detach(topic: string, listener: TopicListener): void {
    const entry = this.topics.get(topic);
    if (!entry || !entry.listeners.delete(listener) || entry.listeners.size > 0) return;
    this.topics.delete(topic);
    // Redis runs commands in order: a later attach of the same topic re-subscribes after this.
    this.subscriber.unsubscribe(topic).catch(() => undefined);
  }

  /** Forgets every topic (the Redis connection is closed by its owner, which ends the subscriptions with it). */
  clear(): void {
    this.topics.clear();
  }
}
