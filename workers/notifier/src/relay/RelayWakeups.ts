import type Redis from 'ioredis';

/** What a wake-up reaches: a relay that reads its log again at once instead of at its next poll. */
export interface Wakeable {
  nudge(): void;
}

/**
 * Wakes the relays when the chats service announces a committed event. Every committed chat event is published on
 * Redis (`chat:{id}`) right after its commit for live delivery; the notifier listens to those channels as a hint, so
 * a relay reads the new rows within a round trip instead of up to `RELAY_POLL_MS` later. The hint is only a hint: a
 * lost or late one (Redis down, a publish that failed) costs at most one poll interval, because the relays still poll
 * and the log, not Redis, says what to publish. Wake-ups are coalesced to one per loop turn.
 */
export class RelayWakeups {
  private scheduled = false;
  private readonly onMessage = () => {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      for (const relay of this.relays) relay.nudge();
    });
  };

  /** @param subscriber a Redis connection for pub/sub only (it re-subscribes by itself after a reconnect) */
  constructor(
    private readonly subscriber: Redis,
    private readonly relays: readonly Wakeable[],
    private readonly pattern = 'chat:*',
  ) {}

  /** Starts listening (a failure to subscribe leaves the relays polling). */
  async start(): Promise<void> {
    this.subscriber.on('pmessageBuffer', this.onMessage);
    await this.subscriber.psubscribe(this.pattern).catch(() => undefined);
  }

  /** Stops listening. */
  async stop(): Promise<void> {
    this.subscriber.off('pmessageBuffer', this.onMessage);
    await this.subscriber.punsubscribe(this.pattern).catch(() => undefined);
  }
}
