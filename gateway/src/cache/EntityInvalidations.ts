import type Redis from 'ioredis';
import type { Logger } from '@chatgraph/logging';
import { entityChangesChannel, parseEntityChange } from '@chatgraph/pubsub';
import type { EntityCache } from './EntityCache';

/**
 * Keeps an {@link EntityCache} in step with the subgraphs: each change announced on the entity-changes channel removes
 * the entity. The cache serves only while this stream is subscribed: it is suspended when the Redis connection drops
 * (changes could be missed), and flushed and resumed once the subscription is confirmed again.
 */
export class EntityInvalidations {
  private readonly channel: string;
  private lost = false;
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
  private readonly onReady = () => {
    if (!this.lost) return;
    this.lost = false;
    // Whatever changed while the stream was away is unknown: serve again only from a confirmed subscription on.
    void this.subscribe().then(
      () => this.logger.info('entity cache flushed and resumed: the invalidation stream is back'),
      (err: Error) => this.logger.warn({ err: err.message }, 'entity cache stays suspended: subscribe failed'),
    );
  };

  constructor(
    private readonly subscriber: Redis,
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
    this.subscriber.on('message', this.onMessage);
    this.subscriber.on('close', this.onClose);
    this.subscriber.on('ready', this.onReady);
    await this.subscribe().catch((err: Error) => {
      this.lost = true;
      this.logger.warn({ err: err.message }, 'entity cache suspended until Redis answers');
    });
  }

  private async subscribe(): Promise<void> {
    await this.subscriber.subscribe(this.channel);
    if (!this.lost) this.cache.resume();
  }

  async stop(): Promise<void> {
    this.cache.suspend();
    this.subscriber.off('message', this.onMessage);
    this.subscriber.off('close', this.onClose);
    this.subscriber.off('ready', this.onReady);
    await this.subscriber.unsubscribe(this.channel).catch(() => undefined);
  }
}
