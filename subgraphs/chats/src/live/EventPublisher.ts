import {
  chatActivityPayload,
  chatEventPayload,
  userRef,
  type ReadReceiptPayload,
  type TypingEventPayload,
} from '../payloads';
import type { Logger } from '@chatgraph/logging';
import { Reannouncer, type Announcement, type Publication, type ReannouncerOptions } from '@chatgraph/pubsub';
import { inSpan, SpanKind, traceHeaders } from '@chatgraph/telemetry';
import type { ChatChange, EventRecord } from '../storage/records';

/** What the publisher needs from Redis: `RedisEventBus` (which never rejects, and logs and counts failures). */
export interface EventBus {
  publish(topic: string, payload: unknown): Promise<boolean>;
  /** Publishes several messages together, in order (one write to Redis); without it, each goes on its own. */
  publishMany?(messages: readonly Publication[]): Promise<boolean[]>;
}

/** The two kinds of announcement of a change: its chat events (`chat:{id}`) and its members' activities. */
export type ChangePart = 'events' | 'activities';

/** Redis channel of a chat's events. */
export const chatTopic = (chatId: bigint | string) => `chat:${chatId}`;
/** Redis channel of a chat's typing indicators. */
export const typingTopic = (chatId: bigint | string) => `typing:${chatId}`;
/** Redis channel of a chat's read receipts. */
export const receiptsTopic = (chatId: bigint | string) => `receipts:${chatId}`;
/** Redis channel of a user's own read markers (their other devices). */
export const userReadsTopic = (userId: bigint | string) => `user-reads:${userId}`;
/** Redis channel of a user's chat activity. */
export const activityTopic = (userId: bigint | string) => `user-activity:${userId}`;

/**
 * Publishes committed changes (never before the commit: the log is the truth, pub/sub is at-most-once and the
 * gateway repairs gaps from the log by `seq`).
 *
 * - `chat:{chatId}`: each event, exactly as `chatEventsSince` returns it; a MEMBER_REMOVED event adds
 *   `_reauthorize: [removed user id]` so the gateway re-checks that user's subscriptions.
 * - `user-activity:{userId}`: one `ChatActivity` per member (and per removed user) and change: the event about that
 *   user when there is one (they were added or removed), else the change's last event.
 *
 * Every event and activity also carries `_meta`: `committedAt` (ms since the epoch, when the change committed: the
 * gateways measure the commit → delivery lag from it) and the W3C `traceparent` of the request that made the change
 * (each gateway's live execution and delivery continue that trace). Clients never see `_meta`: the gateway projects
 * events through the schema.
 *
 * The publishes of a change (its events, then its activities, or each part on its own: see `ChangeFeed`) are issued
 * together on the bus's one publisher connection as one batch (`RedisEventBus.publishMany`: one command on a single
 * Redis), so they reach Redis in seq order; the members' activities of a change share one payload object, serialized
 * and sent once. An event, activity or read receipt Redis refuses (an outage, a failover, the bus's breaker open) is published
 * again once Redis takes it (the newest per chat, per member's chat, per reader: see `Reannouncer`), so a change
 * committed during an outage reaches live subscribers without waiting for the chat's next change. Typing indicators
 * are not: they are stale within seconds anyway.
 */
export class EventPublisher {
  /** Refused event and activity announcements, published again until Redis takes them. */
  readonly reannouncer: Reannouncer;
  private readonly relayWakeup: ((chatId: bigint) => string) | undefined;

  /**
   * @param options.relayWakeup on a Redis Cluster, the channel that wakes the notifier's relay of a chat's shard (see
   *   `relayWakeupChannel`; on a single Redis the notifier listens to `chat:*` instead)
   */
  constructor(
    private readonly bus: EventBus,
    options: { logger: Logger; relayWakeup?: (chatId: bigint) => string; reannounce?: ReannouncerOptions },
  ) {
    this.relayWakeup = options.relayWakeup;
    const publishMany = bus.publishMany?.bind(bus);
    this.reannouncer = new Reannouncer((topic, payload) => bus.publish(topic, payload), options.logger, {
      ...options.reannounce,
      ...(publishMany ? { publishMany } : {}),
    });
  }

  /** Publishes what is still pending one last time and stops retrying (the process is shutting down). */
  close(): Promise<void> {
    return this.reannouncer.close();
  }

  /**
   * Publishes a change's events and activities (or only `parts` of them); resolves when Redis took them or refused
   * (never rejects).
   * @param committedAt when the change committed (ms since the epoch) @default now
   */
  async publishChange(
    change: ChatChange,
    committedAt = Date.now(),
    parts: readonly ChangePart[] = ['events', 'activities'],
  ): Promise<void> {
    const { events } = change;
    if (events.length === 0 || parts.length === 0) return;
    const first = events[0]!;
    await inSpan(
      parts.includes('events') ? 'publish chat events' : 'publish chat activities',
      {
        kind: SpanKind.PRODUCER,
        attributes: { 'chat.id': first.chatId.toString(), 'chat.seq': first.seq, 'chat.events': events.length },
      },
      () => this.publishAll(change, { committedAt, ...traceHeaders() }, parts),
    );
  }

  private async publishAll(
    change: ChatChange,
    _meta: Record<string, unknown>,
    parts: readonly ChangePart[],
  ): Promise<void> {
    const { events } = change;
    const announcements: Announcement[] = [];
    const withEvents = parts.includes('events');
    for (const event of withEvents ? events : []) {
      const payload = chatEventPayload(event, true);
      const topic = chatTopic(event.chatId);
      announcements.push({
        key: topic,
        topic,
        order: event.seq,
        payload:
          event.type === 'MEMBER_REMOVED' && event.member
            ? { ...payload, _reauthorize: [event.member.userId.toString()], _meta }
            : { ...payload, _meta },
      });
    }
    const last = events[events.length - 1]!;
    const aboutUser = new Map<bigint, EventRecord>();
    for (const event of events) if (event.member) aboutUser.set(event.member.userId, event);
    // One payload per event announced (the same object for every member it is about: serialized once).
    const activities = new Map<EventRecord, unknown>();
    const recipients = new Set<bigint>(parts.includes('activities') ? [...change.memberIds, ...change.removedIds] : []);
    for (const userId of recipients) {
      const about = aboutUser.get(userId) ?? last;
      let payload = activities.get(about);
      if (payload === undefined) {
        payload = { ...chatActivityPayload(about), _meta };
        activities.set(about, payload);
      }
      const topic = activityTopic(userId);
      announcements.push({ key: `${topic}:${about.chatId}`, topic, order: about.seq, payload });
    }
    const announced = this.reannouncer.announceAll(announcements);
    // The relay also polls its shards: a lost wake-up only delays it, so it is not announced again.
    const wakeup =
      withEvents && this.relayWakeup ? this.bus.publish(this.relayWakeup(events[0]!.chatId), {}) : undefined;
    await Promise.all([announced, wakeup]);
  }

  /**
   * Publishes a typing indicator on `typing:{chatId}`, marked `_exceptViewer` so that the gateway does not deliver it
   * to the typing user's own subscriptions.
   */
  async publishTyping(chatId: bigint, userId: bigint, typing: boolean, at: Date): Promise<boolean> {
    const payload: TypingEventPayload = {
      __typename: 'TypingEvent',
      chatId: chatId.toString(),
      user: userRef(userId),
      typing,
      at: at.toISOString(),
    };
    return this.bus.publish(typingTopic(chatId), { ...payload, _exceptViewer: userId.toString() });
  }

  /**
   * Publishes a moved read marker: to the chat's members on `receipts:{chatId}` (not to the reader, whose own
   * devices hear it) and to the reader's other devices on `user-reads:{userId}` with their new unread count.
   */
  async publishReadReceipt(chatId: bigint, userId: bigint, lastReadSeq: number, unreadCount: number, at: Date) {
    const receipt: ReadReceiptPayload = {
      __typename: 'ReadReceipt',
      chatId: chatId.toString(),
      user: userRef(userId),
      lastReadSeq,
      at: at.toISOString(),
      unreadCount: null,
    };
    // Read markers are state (unlike typing): one Redis refused is announced again, the newest per reader and chat.
    const receipts = receiptsTopic(chatId);
    const reads = userReadsTopic(userId);
    await Promise.all([
      this.reannouncer.announce({
        key: `${receipts}:${userId}`,
        topic: receipts,
        order: lastReadSeq,
        payload: { ...receipt, _exceptViewer: userId.toString() },
      }),
      this.reannouncer.announce({
        key: `${reads}:${chatId}`,
        topic: reads,
        order: lastReadSeq,
        payload: { ...receipt, unreadCount },
      }),
    ]);
  }
}
