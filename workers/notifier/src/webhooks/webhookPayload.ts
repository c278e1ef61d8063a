import { webhookTypeName, type WebhookEventType } from '@chatgraph/notifications';
import type { RelayedEvent } from '../relay/RelayedEvent';

/** The `data` of a delivery: what happened, with ids as decimal strings. */
export interface WebhookEventData {
  chatId: string;
  /** The event's position in the chat's log (with `chatId`, the event's identity). */
  seq: number;
  /** Who did it. */
  actorId: string;
  /** MESSAGE_* and REACTION_* events: the message (no text once deleted). */
  message?: { id: string; authorId: string; text?: string };
  /** MEMBER_* events: the user who joined or left. */
  userId?: string;
}

/**
 * The body of a delivery (Standard Webhooks): `{"type":"message.created","timestamp":"<ISO>","data":{…}}`, built once
 * per event and webhook and stored, so every attempt sends the same bytes.
 */
export function webhookPayload(event: RelayedEvent, type: WebhookEventType): string {
  const data: WebhookEventData = { chatId: event.chatId, seq: event.seq, actorId: event.actorId };
  if (event.message) {
    data.message = { id: event.message.id, authorId: event.message.authorId };
    if (type === 'MESSAGE_CREATED' || type === 'MESSAGE_EDITED') data.message.text = event.message.text;
  }
  if (event.memberUserId) data.userId = event.memberUserId;
  return JSON.stringify({ type: webhookTypeName(type), timestamp: event.at, data });
}
