import type { ChatPosition } from '../storage/records';

/**
 * Opaque page cursors: base64 of a small text (`seq:42` for messages, `chat:<activity ms>:<chat id>` for chat
 * lists). Clients must not build them; decoding returns null for anything this service did not make.
 */

function encode(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

function decode(cursor: string): string | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(cursor) || cursor.length > 200) return null;
  return Buffer.from(cursor, 'base64').toString('utf8');
}

/** The cursor of a message (its seq). */
export function messageCursor(seq: number): string {
  return encode(`seq:${seq}`);
}

/** The seq in a message cursor, or null when the cursor is not one. */
export function parseMessageCursor(cursor: string): number | null {
  const m = /^seq:(\d{1,10})$/.exec(decode(cursor) ?? '');
  if (!m) return null;
  const seq = Number(m[1]);
  return seq <= 2_147_483_647 ? seq : null;
}

/** The cursor of a chat in an activity-ordered list. */
export function chatCursor(position: ChatPosition): string {
  return encode(`chat:${position.lastActivityAt.getTime()}:${position.chatId}`);
}

/** The position in a chat-list cursor, or null when the cursor is not one. */
export function parseChatCursor(cursor: string): ChatPosition | null {
  const m = /^chat:(\d{1,15}):([1-9]\d{0,18})$/.exec(decode(cursor) ?? '');
  if (!m) return null;
  const chatId = BigInt(m[2]!);
  if (chatId >= 1n << 63n) return null;
  return { lastActivityAt: new Date(Number(m[1])), chatId };
}

/** The cursor of a search result (its message id). */
export function searchCursor(messageId: bigint): string {
  return encode(`msg:${messageId}`);
}

/** The message id in a search cursor, or null when the cursor is not one. */
export function parseSearchCursor(cursor: string): bigint | null {
  const m = /^msg:([1-9]\d{0,18})$/.exec(decode(cursor) ?? '');
  if (!m) return null;
  const id = BigInt(m[1]!);
  return id < 1n << 63n ? id : null;
}
