import DataLoader from 'dataloader';
import { LRUCache } from 'lru-cache';
import type { Logger } from '@chatgraph/logging';
import { blockChangesChannel, parseBlockChange } from './blockChanges';
import type { ChannelSubscriber } from './ChannelSubscriber';

/** Who blocked whom (the users service's answer). */
export interface BlockList {
  /** Those among `recipientIds` who blocked `actorId`. */
  blockedBy(actorId: bigint, recipientIds: readonly bigint[]): Promise<ReadonlySet<bigint>>;
}

/** Options of {@link CachedBlockList}. */
export interface CachedBlockListOptions {
  /** Where the answers come from (the users service). */
  source: BlockList;
  /** The process's pub/sub subscriber, for the users service's block announcements. */
  channels: ChannelSubscriber;
  /** The deployment namespace (`DB_NAME_PREFIX`) of the announcements. */
  namespace: string;
  /** Longest an answer is kept (`NOTIFIER_BLOCK_CACHE_MS`, `CHATS_BLOCK_CACHE_MS`); 0 keeps none. */
  ttlMs: number;
  /** Recipients whose answers are kept at most. @default 100000 */
  maxRecipients?: number;
  logger: Logger;
  /** Told whether each recipient's answer came from the cache. */
  onLookup?: (result: 'hit' | 'miss') => void;
}

/** One question: did `recipientId` block `actorId`? */
interface BlockQuestion {
  actorId: bigint;
  recipientId: bigint;
}

/**
 * Who blocked whom, as the users service says, kept per blocker so that the messages of one conversation do not each
 * ask it again (the notifier's recipients, the chats service's direct-chat sends). Correct because the users service
 * announces every block and unblock after its commit, before it answers the request (on `blockChangesChannel`): the
 * blocker's answers are forgotten when the announcement arrives, and an answer that was being fetched meanwhile is not
 * kept. A block thus applies from the moment its announcement reached this process: for the notifier, long before the
 * first event its blocker's chats commit afterwards can go through relay, broker and queue; for the chats service,
 * before the blocked user's next request (the announcement left Redis before the blocker had the answer). Bounded
 * staleness when an announcement is lost (the users process died between the commit and the announce): an answer is
 * kept at most `ttlMs`. While this process's subscriber link is down (announcements would be missed) and until it is
 * subscribed again, the cache is emptied and bypassed. The questions asked at the same time go out together: one
 * call to the source per actor.
 */
export class CachedBlockList implements BlockList {
  /** Per recipient (the blocker): actor → whether the recipient blocked the actor. */
  private readonly answers: LRUCache<bigint, Map<bigint, boolean>>;
  private readonly loader: DataLoader<BlockQuestion, boolean>;
  private readonly channel: string;
  /** Counts the forgettings: an answer fetched across one is not kept. */
  private generation = 0;
  /** Whether the announcements are heard (subscribed, link up). */
  private listening = false;
  private readonly stopListening: Array<() => void> = [];

  constructor(private readonly options: CachedBlockListOptions) {
    this.answers = new LRUCache({ max: options.maxRecipients ?? 100_000, ttl: Math.max(1, options.ttlMs) });
    this.loader = new DataLoader((questions) => this.ask(questions), {
      cache: false,
      // The next turn of the event loop: the questions of everything that arrived in one read go out together.
      batchScheduleFn: (dispatch) => setImmediate(dispatch),
    });
    this.channel = blockChangesChannel(options.namespace);
  }

  /**
   * Starts hearing the announcements; until then (and when subscribing fails) every question goes to the source.
   * Resolves once subscribed (never rejects); with Redis unreachable that is when it comes back, so a service that
   * must serve meanwhile does not wait for it.
   */
  async start(): Promise<void> {
    const { channels, logger, ttlMs } = this.options;
    if (ttlMs <= 0) return;
    this.stopListening.push(
      channels.onMessage((channel, message) => {
        if (channel !== this.channel) return;
        const change = parseBlockChange(message);
        if (change) this.forget(BigInt(change.userId));
      }),
      channels.onLost(() => {
        this.listening = false;
        this.forgetAll();
      }),
      channels.onResubscribed(() => {
        this.forgetAll();
        this.listening = true;
      }),
    );
    try {
      await channels.subscribe(this.channel);
      // Unless stopped while the subscribe waited for Redis.
      if (this.stopListening.length > 0) this.listening = true;
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'block announcements not subscribed: block lookups are not cached');
    }
  }

  /**
   * Stops hearing the announcements (and caching). The unsubscribe is not waited for: with Redis unreachable it would
   * wait for a reconnect, and the caller closes the connection next anyway.
   */
  async stop(): Promise<void> {
    this.listening = false;
    for (const stop of this.stopListening.splice(0)) stop();
    void this.options.channels.unsubscribe(this.channel).catch(() => undefined);
    this.forgetAll();
  }

  async blockedBy(actorId: bigint, recipientIds: readonly bigint[]): Promise<ReadonlySet<bigint>> {
    const found = new Set<bigint>();
    const missing: bigint[] = [];
    for (const recipientId of recipientIds) {
      const known = this.listening ? this.answers.get(recipientId)?.get(actorId) : undefined;
      this.options.onLookup?.(known === undefined ? 'miss' : 'hit');
      if (known === undefined) missing.push(recipientId);
      else if (known) found.add(recipientId);
    }
    if (missing.length === 0) return found;
    const answers = await this.loader.loadMany(missing.map((recipientId) => ({ actorId, recipientId })));
    answers.forEach((blocked, i) => {
      // A failed lookup rejects: the event is retried rather than delivered to someone who blocked its actor.
      if (blocked instanceof Error) throw blocked;
      if (blocked) found.add(missing[i]!);
    });
    return found;
  }

  /** Forgets what is known of `userId`'s blocks (they changed). */
  forget(userId: bigint): void {
    this.generation++;
    this.answers.delete(userId);
  }

  private forgetAll(): void {
    this.generation++;
    this.answers.clear();
  }

  /** Asks the source, one call per actor, and keeps the answers unless something was forgotten meanwhile. */
  private async ask(questions: readonly BlockQuestion[]): Promise<boolean[]> {
    const generation = this.generation;
    const byActor = new Map<bigint, bigint[]>();
    for (const q of questions) {
      const list = byActor.get(q.actorId);
      if (list) list.push(q.recipientId);
      else byActor.set(q.actorId, [q.recipientId]);
    }
    const blocked = new Set<string>();
    await Promise.all(
      [...byActor].map(async ([actorId, recipients]) => {
        const found = await this.options.source.blockedBy(actorId, [...new Set(recipients)]);
        for (const recipientId of found) blocked.add(`${actorId}:${recipientId}`);
      }),
    );
    const keep = this.listening && generation === this.generation;
    return questions.map(({ actorId, recipientId }) => {
      const answer = blocked.has(`${actorId}:${recipientId}`);
      if (keep) {
        let known = this.answers.get(recipientId);
        if (!known) this.answers.set(recipientId, (known = new Map()));
        known.set(actorId, answer);
      }
      return answer;
    });
  }
}
