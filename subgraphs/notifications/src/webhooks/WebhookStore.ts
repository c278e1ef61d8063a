import { randomBytes } from 'node:crypto';
import type { NotificationsClient, ShardedDatabase } from '@chatgraph/db';
import { logicalShardOf } from '@chatgraph/ids';
import { bigintArray } from '../storage/rows';
import {
  DELIVERY_COLUMNS,
  deliveryFromRow,
  type DeliveryRecord,
  type DeliveryRow,
  type DeliveryStatus,
  type WebhookEventType,
  type WebhookRecord,
} from './records';
import { NotificationsPrisma } from '@chatgraph/db';

interface WebhookRow {
  id: bigint;
  owner_id: bigint;
  url: string;
  secret: string;
  events: string[];
  chat_ids: bigint[];
  created_at: Date;
  disabled_at: Date | null;
}

function webhookFromRow(row: WebhookRow): WebhookRecord {
  return {
    id: row.id,
    ownerId: row.owner_id,
    url: row.url,
    secret: row.secret,
    events: row.events as WebhookEventType[],
    chatIds: row.chat_ids,
    createdAt: row.created_at,
    disabledAt: row.disabled_at,
  };
}

/** A new Standard Webhooks signing secret: `whsec_` and 32 random bytes, base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * The API side of webhooks: every SQL statement behind `createWebhook`, `myWebhooks`, `deleteWebhook`,
 * `Webhook.deliveries` and `redeliverWebhookDelivery`. A webhook and its deliveries live on the owner's shard; the
 * routing rows (`webhook_chats`) on each chat's shard are written before the webhook and deleted after it, so a crash
 * in between leaves only rows naming a webhook that does not exist (ignored by the workers).
 */
export class WebhookStore {
  constructor(private readonly db: ShardedDatabase<NotificationsClient>) {}

  /** The owner's webhooks (disabled ones too), oldest first. */
  async listOf(ownerId: bigint): Promise<WebhookRecord[]> {
    const rows = await this.db.clientFor(ownerId).$queryRaw<WebhookRow[]>`
      SELECT * FROM webhooks WHERE owner_id = ${ownerId} ORDER BY id`;
    return rows.map(webhookFromRow);
  }

  /** A webhook by id, whoever owns it; null when there is none. */
  async byId(id: bigint): Promise<WebhookRecord | null> {
    const rows = await this.db.clientFor(id).$queryRaw<WebhookRow[]>`SELECT * FROM webhooks WHERE id = ${id}`;
    return rows[0] ? webhookFromRow(rows[0]) : null;
  }

  /** Creates a webhook (with a new secret); null when the owner has `max` already. */
  async create(
    input: { ownerId: bigint; url: string; events: WebhookEventType[]; chatIds: bigint[] },
    max: number,
  ): Promise<WebhookRecord | null> {
    const { ownerId, events, chatIds } = input;
    const owner = this.db.clientFor(ownerId);
    const [count] = await owner.$queryRaw<Array<{ n: number }>>`
      SELECT count(*)::int AS n FROM webhooks WHERE owner_id = ${ownerId}`;
    if ((count?.n ?? 0) >= max) return null;
    const [made] = await owner.$queryRaw<Array<{ id: bigint }>>`
      SELECT chatgraph_next_id(${logicalShardOf(ownerId)}::int) AS id`;
    const id = made!.id;
    // Routing rows first: a webhook never exists without them.
    await Promise.all(
      [...this.db.groupByShard(chatIds, (c) => c)].map(
        ([shard, group]) =>
          this.db.clientAt(shard).$executeRaw`
          INSERT INTO webhook_chats (chat_id, webhook_id, owner_id, events)
          SELECT c, ${id}, ${ownerId}, ${events}::text[] FROM unnest(${bigintArray(group)}) AS c
          ON CONFLICT DO NOTHING`,
      ),
    );
    const rows = await owner.$queryRaw<WebhookRow[]>`
      INSERT INTO webhooks (id, owner_id, url, secret, events, chat_ids)
      VALUES (${id}, ${ownerId}, ${input.url}, ${newWebhookSecret()}, ${events}::text[], ${bigintArray(chatIds)})
      RETURNING *`;
    return webhookFromRow(rows[0]!);
  }

  /** Deletes one of the owner's webhooks (its deliveries with it); false when the owner has no such webhook. */
  async delete(ownerId: bigint, id: bigint): Promise<boolean> {
    const rows = await this.db.clientFor(id).$queryRaw<Array<{ chat_ids: bigint[] }>>`
      DELETE FROM webhooks WHERE id = ${id} AND owner_id = ${ownerId} RETURNING chat_ids`;
    const deleted = rows[0];
    if (!deleted) return false;
    await this.dropRoutes(id, deleted.chat_ids);
    return true;
  }

  /** Removes the routing rows of a webhook (after it was deleted, or when a worker meets rows naming none). */
  async dropRoutes(webhookId: bigint, chatIds: readonly bigint[]): Promise<void> {
    await Promise.all(
      [...this.db.groupByShard(chatIds, (c) => c)].map(
        ([shard, group]) =>
          this.db.clientAt(shard).$executeRaw`
          DELETE FROM webhook_chats WHERE webhook_id = ${webhookId} AND chat_id = ANY(${bigintArray(group)})`,
      ),
    );
  }

  /** A page of a webhook's deliveries, newest first, before `beforeId` (all when null), of one status or all. */
  async deliveries(
    webhookId: bigint,
    options: { limit: number; beforeId: bigint | null; status: DeliveryStatus | null },
  ): Promise<{ deliveries: DeliveryRecord[]; hasMore: boolean }> {
    const rows = await this.db.clientFor(webhookId).$queryRaw<DeliveryRow[]>`
      SELECT ${NotificationsPrisma.raw(DELIVERY_COLUMNS)} FROM webhook_deliveries
       WHERE webhook_id = ${webhookId} AND id < ${options.beforeId ?? 9_223_372_036_854_775_807n}
         AND (${options.status}::text IS NULL OR status = ${options.status}::text)
       ORDER BY id DESC LIMIT ${options.limit + 1}::int`;
    return { deliveries: rows.slice(0, options.limit).map(deliveryFromRow), hasMore: rows.length > options.limit };
  }

  /**
   * Asks for a delivery of one of the owner's webhooks to be sent again (a notifier picks it up within
   * `WEBHOOK_REDELIVER_POLL_MS`): it becomes PENDING. Null when the owner has no such delivery.
   */
  async requestRedelivery(ownerId: bigint, deliveryId: bigint): Promise<DeliveryRecord | null> {
    const rows = await this.db.clientFor(deliveryId).$queryRaw<DeliveryRow[]>`
      UPDATE webhook_deliveries d SET status = 'PENDING', next_attempt_at = clock_timestamp(),
             redeliver_requested_at = clock_timestamp()
        FROM webhooks w
       WHERE d.id = ${deliveryId} AND w.id = d.webhook_id AND w.owner_id = ${ownerId}
      RETURNING ${NotificationsPrisma.raw(DELIVERY_COLUMNS.replace(/(\w+)/g, 'd.$1'))}`;
    return rows[0] ? deliveryFromRow(rows[0]) : null;
  }
}
