import { relayWakeupChannel, type ChannelSubscriber } from '@chatgraph/pubsub';

/** The chats service's event channels (`chat:{id}`, `chatTopic`). */
const CHAT_PREFIX = 'chat:';
const CHAT_PATTERN = `${CHAT_PREFIX}*`;
/** A chat id as the channel carries it: decimal, within 64 bits' digits. */
const CHAT_ID = /^[0-9]{1,19}$/;

/** What a wake-up reaches: a relay that reads its log again at once instead of at its next poll. */
export interface Wakeable {
  /** The chats shard database it relays. */
  readonly shard: string;
  nudge(): void;
}

/**
 * Wakes the relays when the chats service announces a committed event. Every committed chat event is published on
 * Redis (`chat:{id}`) right after its commit for live delivery; on a single Redis the notifier listens to those
 * channels (pattern `chat:*`) as a hint, so a relay reads the new rows within a round trip instead of up to
 * `RELAY_POLL_MS` later. On a Redis Cluster (sharded pub/sub: no patterns) the chats service also announces each
 * change on its shard's channel (`relayWakeupChannel`), and each relay is woken by its own shard's. The hint is only
 * a hint: a lost or late one (Redis down, a publish that failed) costs at most one poll interval, because the relays
 * still poll and the log, not Redis, says what to publish. Wake-ups are coalesced to one per loop turn.
 *
 * On the pattern, an event of chat `id` wakes only the relay of the shard that holds the chat (`shardOfChat`, from the
 * shard bits of the id): waking every relay for every event made each shard's relay read the log once per event of
 * every other shard, for nothing. A channel whose id cannot be read (or whose shard no relay here holds) wakes all.
 */
export class RelayWakeups {
  private scheduled = false;
  private readonly pending = new Set<Wakeable>();
  private readonly byChannel: Map<string, Wakeable>;
  private readonly byShard: Map<string, Wakeable>;
  private stopListening: (() => void) | undefined;
  private readonly onAnyChat = (_pattern: string | Buffer, channel: Buffer) => {
    const relay = this.relayOfChannel(channel);
    this.wake(relay ? [relay] : this.relays);
  };
  private readonly onChannel = (channel: string) => {
    const relay = this.byChannel.get(channel);
    if (relay) this.wake([relay]);
  };

  /**
   * @param channels the process's pub/sub subscriber (it re-subscribes by itself after a reconnect)
   * @param shardOfChat the chats shard database that holds a chat (without it, every event wakes every relay)
   */
  constructor(
    private readonly channels: ChannelSubscriber,
    private readonly relays: readonly Wakeable[],
    private readonly shardOfChat?: (chatId: bigint) => string,
  ) {
    this.byChannel = new Map(relays.map((relay) => [relayWakeupChannel(relay.shard), relay]));
    this.byShard = new Map(relays.map((relay) => [relay.shard, relay]));
  }

  /** Starts listening (a failure to subscribe leaves the relays polling). */
  async start(): Promise<void> {
    if (this.channels.sharded) {
      this.stopListening = this.channels.onMessage(this.onChannel);
      await this.channels.subscribe(...this.byChannel.keys()).catch(() => undefined);
      return;
    }
    const client = this.channels.client;
    client.on('pmessageBuffer', this.onAnyChat);
    this.stopListening = () => client.off('pmessageBuffer', this.onAnyChat);
    await client.psubscribe(CHAT_PATTERN).catch(() => undefined);
  }

  /** Stops listening. */
  async stop(): Promise<void> {
    this.stopListening?.();
    this.stopListening = undefined;
    if (this.channels.sharded) await this.channels.unsubscribe(...this.byChannel.keys()).catch(() => undefined);
    else await this.channels.client.punsubscribe(CHAT_PATTERN).catch(() => undefined);
  }

  /** The relay of the shard holding the chat of a `chat:{id}` channel, if the id reads as one. */
  private relayOfChannel(channel: Buffer): Wakeable | undefined {
    if (!this.shardOfChat) return undefined;
    const id = channel.toString('latin1', CHAT_PREFIX.length);
    if (!CHAT_ID.test(id)) return undefined;
    return this.byShard.get(this.shardOfChat(BigInt(id)));
  }

  private wake(relays: readonly Wakeable[]): void {
    for (const relay of relays) this.pending.add(relay);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const woken = [...this.pending];
      this.pending.clear();
      for (const relay of woken) relay.nudge();
    });
  }
}
