import type { Logger } from '@chatgraph/logging';
import { entityChangesChannel, parseEntityChange, type ChannelSubscriber } from '@chatgraph/pubsub';
import type { EntityCache } from './EntityCache';

/**
 * Keeps an {@link EntityCache} in step with the subgraphs: each change announced on the entity-changes channel removes
 * the entity. The cache serves only while this stream is subscribed: it is suspended when the Redis connection drops
 * (changes could be missed), and flushed and resumed once the subscription is confirmed again.
 */
export class EntityInvalidations {
  private readonly channel: string;
  private lost = false;
  private started = false;
  private stopResubscribed: (() => void) | undefined;
  private stopListening: (() => void) | undefined;
  private readonly onMessage = (channel: string, message: string) => {
    if (channel !== this.channel) return;
    const change = parseEntityChange(message);
    if (change) this.cache.invalidate(`${change.type}:${change.id}`);
  };
  private readonly onClose = () => {
    if (!this.lost) this.logger.warn('entity cache suspended: the invalidation stream is down');
    this.lost = true;
    this.cache.suspend();
  };

  /**
   * @param subscriber the gateway's Redis subscriber (it subscribes again to every channel after a reconnect)
   * @param onResubscribed registers a listener called after each reconnect once those subscriptions are confirmed
   */
  constructor(
    private readonly subscriber: ChannelSubscriber,
    private readonly onResubscribed: (listener: () => void) => () => void,
    private readonly cache: EntityCache,
    namespace: string,
    private readonly logger: Logger,
  ) {
    this.channel = entityChangesChannel(namespace);
  }

  /**
   * Listens; the cache starts serving once the subscription is confirmed (a gateway that starts while Redis is down
   * serves uncached until Redis is back).
   */
  async start(): Promise<void> {
    const stopMessages = this.subscriber.onMessage(this.onMessage);
    const stopLost = this.subscriber.onLost(this.onClose);
    this.stopListening = () => {
      stopMessages();
      stopLost();
    };
    // Whatever changed while the stream was away is unknown: start again from empty once it is confirmed.
    this.stopResubscribed = this.onResubscribed(() => {
      if (!this.started) return;
      this.lost = false;
      this.cache.resume();
      this.logger.info('entity cache flushed and resumed: the invalidation stream is back');
    });
    await this.subscriber.subscribe(this.channel);
    this.started = true;
    if (!this.lost) this.cache.resume();
  }

  async stop(): Promise<void> {
    this.cache.suspend();
    this.stopResubscribed?.();
    this.stopListening?.();
    await this.subscriber.unsubscribe(this.channel).catch(() => undefined);
  }
}
