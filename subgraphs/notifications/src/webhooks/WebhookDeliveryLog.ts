import { NotificationsPrisma, type NotificationsClient, type ShardedDatabase } from '@chatgraph/db';
import { logicalShardOf } from '@chatgraph/ids';
import { bigintArray } from '../storage/rows';
import type { DeliveryStatus, WebhookEventType } from './records';

/** A webhook that covers a chat and wants an event type (a row of `webhook_chats`). */
export interface WebhookRoute {
  webhookId: bigint;
  ownerId: bigint;
}

/** A delivery to add: one webhook, one chat event, the exact body to send. */
export interface NewDelivery {
  webhookId: bigint;
  chatId: bigint;
  eventSeq: number;
  eventType: WebhookEventType;
  payload: string;
}

/** A delivery to send: what a delivery job carries. */
export interface DeliveryToSend {
  deliveryId: bigint;
  webhookId: bigint;
  payload: string;
}

/** A delivery {@link WebhookDeliveryLog.add} returns: one to send, and the event it is for. */
export interface AddedDelivery extends DeliveryToSend {
  chatId: bigint;
  eventSeq: number;
}

/** The webhooks covering one chat that want one event type. */
export interface RouteQuestion {
  chatId: bigint;
  eventType: WebhookEventType;
}

/** One attempt to record. */
export interface RecordedAttempt {
  deliveryId: bigint;
  outcome: AttemptOutcome;
}

/** What one attempt came to, as the log records it. */
export interface AttemptOutcome {
  status: Exclude<DeliveryStatus, 'PENDING'>;
  /** The endpoint's HTTP status; null when it did not answer. */
  responseStatus: number | null;
  /** When the next attempt is due (FAILED), else null. */
  nextAttemptAt: Date | null;
}

/**
 * The workers' side of webhooks: routing an event (one read on the chat's shard), adding its deliveries (one
 * statement per owner shard, idempotent on webhook and event), recording each attempt (one write), disabling an
 * endpoint that is gone, and handing over the deliveries someone asked to redeliver. The statements every event or
 * delivery runs (routes, adding, recording) are prepared and run on the shards' driver adapters, past the Prisma
 * client's cost per call (see `AdapterStatements`).
 */
export class WebhookDeliveryLog {
  constructor(private readonly db: ShardedDatabase<NotificationsClient>) {}

  /** The webhooks covering `chatId` that want `eventType`. */
  async routes(chatId: bigint, eventType: WebhookEventType): Promise<WebhookRoute[]> {
    const rows = await this.db.clientFor(chatId).$queryRaw<Array<{ webhook_id: bigint; owner_id: bigint }>>`
      SELECT webhook_id, owner_id FROM webhook_chats WHERE chat_id = ${chatId} AND ${eventType} = ANY(events)`;
    return rows.map((r) => ({ webhookId: r.webhook_id, ownerId: r.owner_id }));
  }

  /**
   * The routes of several chats and event types at once (one statement per shard holding some of the chats), in the
   * order asked.
   */
  async routesOf(questions: readonly RouteQuestion[]): Promise<WebhookRoute[][]> {
    const found = new Map<string, WebhookRoute[]>();
    await Promise.all(
      [...this.db.groupByShard(questions, (q) => q.chatId)].map(async ([shard, group]) => {
        const chats = [...new Set(group.map((q) => q.chatId))];
        const rows = await this.db
          .statementsAt(shard)
          .rows<{ chat_id: bigint; webhook_id: bigint; owner_id: bigint; events: string[] }>(
            NotificationsPrisma.sql`/* prepared: webhook_routes */
              SELECT chat_id, webhook_id, owner_id, events FROM webhook_chats WHERE chat_id = ANY(${bigintArray(chats)})`,
          );
        for (const q of group) {
          found.set(
            `${q.chatId}:${q.eventType}`,
            rows
              .filter((r) => r.chat_id === q.chatId && r.events.includes(q.eventType))
              .map((r) => ({ webhookId: r.webhook_id, ownerId: r.owner_id })),
          );
        }
      }),
    );
    return questions.map((q) => found.get(`${q.chatId}:${q.eventType}`) ?? []);
  }

  /**
   * Adds the deliveries of one or more events and returns those to send: the new ones, and those an earlier handling
   * of the same event added but may not have queued (never attempted). A delivery that exists already is not added
   * again (nor twice when `items` names it twice).
   */
  async add(items: readonly NewDelivery[]): Promise<AddedDelivery[]> {
    const out: AddedDelivery[] = [];
    await Promise.all(
      [...this.db.groupByShard(items, (i) => i.webhookId)].map(async ([shard, group]) => {
        const rows = await this.db
          .statementsAt(shard)
          .rows<{ id: bigint; webhook_id: bigint; chat_id: bigint; event_seq: number; payload: string }>(
            NotificationsPrisma.sql`/* prepared: add_webhook_deliveries */
          WITH input AS (
            SELECT * FROM unnest(${bigintArray(group.map((i) => i.webhookId))},
                                 ${group.map((i) => logicalShardOf(i.webhookId))}::int[],
                                 ${bigintArray(group.map((i) => i.chatId))},
                                 ${group.map((i) => i.eventSeq)}::int[],
                                 ${group.map((i) => i.eventType)}::text[],
                                 ${group.map((i) => i.payload)}::text[])
                     AS i(webhook_id, logical_shard, chat_id, event_seq, event_type, payload)
          ), added AS (
            INSERT INTO webhook_deliveries (id, webhook_id, chat_id, event_seq, event_type, payload)
            SELECT chatgraph_next_id(i.logical_shard), i.webhook_id, i.chat_id, i.event_seq, i.event_type, i.payload
              FROM input i
            ON CONFLICT (webhook_id, chat_id, event_seq) DO NOTHING
            RETURNING id, webhook_id, chat_id, event_seq, payload
          )
          SELECT id, webhook_id, chat_id, event_seq, payload FROM added
          UNION
          SELECT d.id, d.webhook_id, d.chat_id, d.event_seq, d.payload FROM webhook_deliveries d
            JOIN input i ON d.webhook_id = i.webhook_id AND d.chat_id = i.chat_id AND d.event_seq = i.event_seq
           WHERE d.status = 'PENDING' AND d.attempts = 0`,
          );
        for (const r of rows)
          out.push({
            deliveryId: r.id,
            webhookId: r.webhook_id,
            chatId: r.chat_id,
            eventSeq: r.event_seq,
            payload: r.payload,
          });
      }),
    );
    return out;
  }

  /** Records one attempt (a delivery already DELIVERED stays so: a late duplicate attempt changes nothing). */
  async record(deliveryId: bigint, outcome: AttemptOutcome): Promise<void> {
    await this.db.clientFor(deliveryId).$executeRaw`
      UPDATE webhook_deliveries
         SET status = ${outcome.status}, attempts = attempts + 1, last_response_status = ${outcome.responseStatus},
             next_attempt_at = ${outcome.nextAttemptAt},
             delivered_at = CASE WHEN ${outcome.status} = 'DELIVERED' THEN clock_timestamp() ELSE delivered_at END
       WHERE id = ${deliveryId} AND status <> 'DELIVERED'`;
  }

  /**
   * Records several attempts (one statement per shard holding some of them; a delivery named twice has its attempts
   * recorded one after the other). A delivery already DELIVERED stays so.
   */
  async recordMany(attempts: readonly RecordedAttempt[]): Promise<void> {
    let rest = attempts;
    while (rest.length > 0) {
      const seen = new Set<bigint>();
      const round: RecordedAttempt[] = [];
      const later: RecordedAttempt[] = [];
      for (const a of rest) {
        if (seen.has(a.deliveryId)) later.push(a);
        else round.push(a);
        seen.add(a.deliveryId);
      }
      await Promise.all(
        [...this.db.groupByShard(round, (a) => a.deliveryId)].map(([shard, group]) =>
          this.db.statementsAt(shard).execute(NotificationsPrisma.sql`/* prepared: record_webhook_attempts */
            UPDATE webhook_deliveries d
               SET status = o.status, attempts = d.attempts + 1, last_response_status = o.response_status,
                   next_attempt_at = o.next_attempt_at,
                   delivered_at = CASE WHEN o.status = 'DELIVERED' THEN clock_timestamp() ELSE d.delivered_at END
              FROM unnest(${bigintArray(group.map((a) => a.deliveryId))},
                          ${group.map((a) => a.outcome.status)}::text[],
                          ${group.map((a) => a.outcome.responseStatus)}::int[],
                          ${group.map((a) => a.outcome.nextAttemptAt?.toISOString() ?? null)}::timestamptz[])
                   AS o(id, status, response_status, next_attempt_at)
             WHERE d.id = o.id AND d.status <> 'DELIVERED'`),
        ),
      );
      rest = later;
    }
  }

  /** Disables a webhook whose endpoint said it is gone (410): nothing is sent to it any more. */
  async disable(webhookId: bigint, reason: string): Promise<void> {
    await this.db.clientFor(webhookId).$executeRaw`
      UPDATE webhooks SET disabled_at = clock_timestamp(), disabled_reason = ${reason}
       WHERE id = ${webhookId} AND disabled_at IS NULL`;
  }

  /**
   * Hands up to `limit` deliveries someone asked to redeliver on one shard to `send` (which queues them, confirmed),
   * then clears the request; rows are locked meanwhile (`SKIP LOCKED`: notifiers share the work). Returns how many.
   * When `send` throws nothing is cleared, and they are handed over again later.
   */
  async takeRedeliveries(
    shard: number,
    limit: number,
    send: (deliveries: DeliveryToSend[]) => Promise<void>,
  ): Promise<number> {
    return this.db.clientAt(shard).$transaction(async (tx) => {
      const rows = await tx.$queryRaw<Array<{ id: bigint; webhook_id: bigint; payload: string }>>`
        SELECT id, webhook_id, payload FROM webhook_deliveries WHERE redeliver_requested_at IS NOT NULL
         ORDER BY redeliver_requested_at LIMIT ${limit}::int FOR UPDATE SKIP LOCKED`;
      if (rows.length === 0) return 0;
      await send(rows.map((r) => ({ deliveryId: r.id, webhookId: r.webhook_id, payload: r.payload })));
      await tx.$executeRaw`
        UPDATE webhook_deliveries SET redeliver_requested_at = NULL WHERE id = ANY(${bigintArray(rows.map((r) => r.id))})`;
      return rows.length;
    });
  }
}
