/** Webhooks as the notifications storage hands them out: 64-bit ids as bigint, instants as Date. */

/** The events a webhook can subscribe to (the API's `WebhookEventType`). */
export const WEBHOOK_EVENT_TYPES = [
  'MESSAGE_CREATED',
  'MESSAGE_EDITED',
  'MESSAGE_DELETED',
  'MEMBER_ADDED',
  'MEMBER_REMOVED',
  'REACTION_ADDED',
] as const;

/** One of {@link WEBHOOK_EVENT_TYPES}. */
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Where a delivery stands. */
export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED' | 'DEAD';

/** The webhook event type of a chat event type (`MESSAGE_ADDED` → `MESSAGE_CREATED`); null when none covers it. */
export function webhookEventOf(chatEventType: string): WebhookEventType | null {
  if (chatEventType === 'MESSAGE_ADDED') return 'MESSAGE_CREATED';
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(chatEventType)
    ? (chatEventType as WebhookEventType)
    : null;
}

/** The `type` of a delivery's body: `MESSAGE_CREATED` → `message.created`. */
export function webhookTypeName(type: WebhookEventType): string {
  return type.toLowerCase().replace('_', '.');
}

/** A row of `webhooks`. */
export interface WebhookRecord {
  id: bigint;
  ownerId: bigint;
  url: string;
  /** The Standard Webhooks signing secret (`whsec_…`). */
  secret: string;
  events: WebhookEventType[];
  chatIds: bigint[];
  createdAt: Date;
  disabledAt: Date | null;
}

/** A row of `webhook_deliveries` without its payload. */
export interface DeliveryRecord {
  id: bigint;
  webhookId: bigint;
  chatId: bigint;
  eventSeq: number;
  eventType: WebhookEventType;
  status: DeliveryStatus;
  attempts: number;
  lastResponseStatus: number | null;
  nextAttemptAt: Date | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

/** The columns of a delivery as {@link deliveryFromRow} reads them. */
export const DELIVERY_COLUMNS = `id, webhook_id, chat_id, event_seq, event_type, status, attempts, last_response_status,
  next_attempt_at, created_at, delivered_at`;

/** A row of {@link DELIVERY_COLUMNS}. */
export interface DeliveryRow {
  id: bigint;
  webhook_id: bigint;
  chat_id: bigint;
  event_seq: number;
  event_type: string;
  status: string;
  attempts: number;
  last_response_status: number | null;
  next_attempt_at: Date | null;
  created_at: Date;
  delivered_at: Date | null;
}

/** A delivery row as a record. */
export function deliveryFromRow(row: DeliveryRow): DeliveryRecord {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    chatId: row.chat_id,
    eventSeq: row.event_seq,
    eventType: row.event_type as WebhookEventType,
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    lastResponseStatus: row.last_response_status,
    nextAttemptAt: row.next_attempt_at,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
  };
}
