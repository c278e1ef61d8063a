import Redis from 'ioredis';

/** A `PresenceEvent` as published (parsed JSON). */
export interface PublishedEvent {
  __typename: string;
  user: { __typename: string; id: string };
  status: string;
  lastSeenAt: string | null;
  at: string;
}

/**
 * Records what is published on `presence:<userId>` channels, through a Redis connection of its own (as a gateway
 * would see it).
 */
export class ChannelRecorder {
  private readonly redis: Redis;
  private readonly events = new Map<string, PublishedEvent[]>();
  private waiters: Array<() => void> = [];

  private constructor(url: string) {
    this.redis = new Redis(url, { maxRetriesPerRequest: null });
    this.redis.on('error', () => undefined);
    this.redis.on('message', (channel: string, message: string) => {
      const userId = channel.slice('presence:'.length);
      const list = this.events.get(userId) ?? [];
      list.push(JSON.parse(message) as PublishedEvent);
      this.events.set(userId, list);
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    });
  }

  /** Subscribes to the channels of `userIds` (resolves once Redis confirmed). */
  static async start(url: string, userIds: readonly string[]): Promise<ChannelRecorder> {
    const recorder = new ChannelRecorder(url);
    await recorder.redis.subscribe(...userIds.map((id) => `presence:${id}`));
    return recorder;
  }

  /** Events received so far for `userId`, in order. */
  eventsOf(userId: string): PublishedEvent[] {
    return this.events.get(userId) ?? [];
  }

  /** Statuses received so far for `userId`, in order. */
  statusesOf(userId: string): string[] {
    return this.eventsOf(userId).map((e) => e.status);
  }

  /** Waits until `condition` holds (checked on every message). */
  async waitUntil(condition: () => boolean): Promise<void> {
    while (!condition()) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Waits until the last event of `userId` has `status`. */
  waitForStatus(userId: string, status: string): Promise<void> {
    return this.waitUntil(() => this.eventsOf(userId).at(-1)?.status === status);
  }

  close(): void {
    this.redis.disconnect();
  }
}
