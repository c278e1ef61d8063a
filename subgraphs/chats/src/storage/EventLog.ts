import { sampledTraceparent } from '@chatgraph/telemetry';
import type {
  ChatEventType,
  ChatRecord,
  ChatRole,
  EventRecord,
  MemberRecord,
  MessageRecord,
  ReactionGroupRecord,
} from './records';
import { CHAT_COLUMNS, bigintArray, chatFromRow, messageFromRow, type ChatRow, type SqlRunner } from './rows';

/** An event to append: what it is about (the seq and time are assigned by {@link EventLog.append}). */
export interface NewEvent {
  type: ChatEventType;
  message?: MessageRecord;
  member?: MemberRecord;
  title?: string;
  /** REACTION_ADDED / REACTION_REMOVED: the emoji. */
  emoji?: string;
  /** MEMBER_BANNED / MEMBER_UNBANNED: the user (no membership snapshot). */
  userId?: bigint;
  /** REACTION_*: the message's reactions after the change (published with the event). */
  reactions?: ReactionGroupRecord[];
}

/** An index change to record with the events (applied to the user's shard after commit, see `UserChatIndex`). */
export interface OutboxEntry {
  userId: bigint;
  op: 'ADD' | 'REMOVE';
}

/** Options of {@link EventLog.append}. */
export interface AppendOptions {
  chatId: bigint;
  actorId: bigint;
  events: NewEvent[];
  /** Move the chat's `lastActivityAt` to now (new messages, members, renames; not edits, deletes or removals). */
  touch: boolean;
  outbox?: OutboxEntry[];
}

/** What {@link EventLog.append} wrote. */
export interface Appended {
  chatId: bigint;
  chat: ChatRecord;
  events: EventRecord[];
  outboxIds: bigint[];
  /** Members of the chat after the change (as this transaction sees them). */
  memberIds: bigint[];
}

interface AppendRow extends ChatRow {
  at: Date;
  outbox_ids: bigint[];
  member_ids: bigint[];
}

interface EventRow {
  chat_id: bigint;
  seq: number;
  type: string;
  actor_id: bigint;
  at: Date;
  member_user_id: bigint | null;
  member_role: string | null;
  member_joined_at: Date | null;
  member_last_read_seq: number | null;
  title: string | null;
  emoji: string | null;
  msg_id: bigint | null;
  msg_seq: number | null;
  msg_author_id: bigint | null;
  msg_text: string | null;
  msg_client_message_id: string | null;
  msg_created_at: Date | null;
  msg_edited_at: Date | null;
  msg_deleted_at: Date | null;
  msg_reply_to_id: bigint | null;
  msg_thread_root_id: bigint | null;
  msg_reply_count: number | null;
  msg_mention_ids: Array<bigint | string> | null;
  msg_pinned_at: Date | null;
}

/**
 * The per-chat event log. Every change to a chat appends its events here in the same transaction as the change:
 * the chat row's `last_seq` is bumped by an `UPDATE ... RETURNING`, which also makes concurrent writers of the chat
 * wait for each other, so seqs are 1, 2, 3, ... with no gaps and no duplicates. (The hot send path does the same in
 * a single statement of its own, see `MessageStore.send`.)
 */
export const EventLog = {
  /**
   * Appends `events` (seqs `lastSeq + 1 ...` in order), optionally touches the chat's activity time and records
   * index outbox entries, in ONE statement. Must run in a transaction that changed the chat's state under the chat
   * row lock (or a fresh chat), so that what the events describe and their seqs agree.
   */
  async append(tx: SqlRunner, options: AppendOptions): Promise<Appended> {
    const { chatId, actorId, events } = options;
    const n = events.length;
    const outbox = options.outbox ?? [];
    const rows = await tx.$queryRaw<AppendRow[]>`
      WITH bump AS (
        UPDATE chats AS c
           SET last_seq = c.last_seq + ${n}::int,
               last_activity_at = CASE WHEN ${options.touch}::boolean THEN clock_timestamp() ELSE c.last_activity_at END
         WHERE c.id = ${chatId}
        RETURNING ${CHAT_COLUMNS}, clock_timestamp()::timestamptz(3) AS at
      ), ev AS (
        INSERT INTO chat_events (chat_id, seq, type, actor_id, message_id, member_user_id, member_role, member_joined_at,
                                 member_last_read_seq, title, emoji, at, traceparent)
        SELECT bump.id, bump.last_seq - ${n}::int + e.ord::int, e.type, ${actorId}, e.message_id, e.member_user_id,
               e.member_role, e.member_joined_at, e.member_last_read_seq, e.title, e.emoji, bump.at,
               ${sampledTraceparent()}::text
          FROM bump,
               unnest(${events.map((e) => e.type)}::text[],
                      ${events.map((e) => e.message?.id.toString() ?? null)}::bigint[],
                      ${events.map((e) => (e.member?.userId ?? e.userId)?.toString() ?? null)}::bigint[],
                      ${events.map((e) => e.member?.role ?? null)}::text[],
                      ${events.map((e) => e.member?.joinedAt.toISOString() ?? null)}::timestamptz[],
                      ${events.map((e) => e.member?.lastReadSeq ?? null)}::int[],
                      ${events.map((e) => e.title ?? null)}::text[],
                      ${events.map((e) => e.emoji ?? null)}::text[])
               WITH ORDINALITY AS e(type, message_id, member_user_id, member_role, member_joined_at,
                                    member_last_read_seq, title, emoji, ord)
      ), ob AS (
        INSERT INTO index_outbox (user_id, chat_id, op)
        SELECT o.user_id, ${chatId}, o.op
          FROM unnest(${bigintArray(outbox.map((o) => o.userId))}, ${outbox.map((o) => o.op)}::text[]) AS o(user_id, op)
        RETURNING id
      )
      SELECT bump.*,
             (SELECT coalesce(array_agg(ob.id ORDER BY ob.id), '{}') FROM ob) AS outbox_ids,
             (SELECT coalesce(array_agg(m.user_id ORDER BY m.user_id), '{}') FROM chat_members m
               WHERE m.chat_id = ${chatId}) AS member_ids
        FROM bump`;
    const row = rows[0];
    if (!row) throw new Error(`chat ${chatId} vanished while appending events`);
    const chat = chatFromRow(row);
    const first = chat.lastSeq - n + 1;
    return {
      chatId,
      chat,
      events: events.map((e, i) => ({
        chatId,
        seq: first + i,
        type: e.type,
        actorId,
        at: row.at,
        message: e.message ?? null,
        member: e.member ?? null,
        title: e.title ?? null,
        emoji: e.emoji ?? null,
        userId: e.userId ?? null,
        ...(e.reactions ? { reactions: e.reactions } : {}),
      })),
      outboxIds: row.outbox_ids.map(BigInt),
      memberIds: row.member_ids.map(BigInt),
    };
  },

  /** Events of a chat after `afterSeq`, in seq order, with their messages as they are now (one statement). */
  async since(db: SqlRunner, chatId: bigint, afterSeq: number, limit: number): Promise<EventRecord[]> {
    const rows = await db.$queryRaw<EventRow[]>`
      SELECT e.chat_id, e.seq, e.type, e.actor_id, e.at, e.member_user_id, e.member_role, e.member_joined_at,
             e.member_last_read_seq, e.title, e.emoji,
             msg.id AS msg_id, msg.seq AS msg_seq, msg.author_id AS msg_author_id, msg.text AS msg_text,
             msg.client_message_id AS msg_client_message_id, msg.created_at AS msg_created_at,
             msg.edited_at AS msg_edited_at, msg.deleted_at AS msg_deleted_at, msg.reply_to_id AS msg_reply_to_id,
             msg.thread_root_id AS msg_thread_root_id, msg.reply_count AS msg_reply_count,
             msg.mention_ids AS msg_mention_ids, msg.pinned_at AS msg_pinned_at
        FROM chat_events e
        LEFT JOIN messages msg ON msg.id = e.message_id
       WHERE e.chat_id = ${chatId} AND e.seq > ${afterSeq}::int
       ORDER BY e.seq
       LIMIT ${limit}::int`;
    return rows.map(eventFromRow);
  },
};

function eventFromRow(row: EventRow): EventRecord {
  const message =
    row.msg_id === null
      ? null
      : messageFromRow({
          id: row.msg_id,
          chat_id: row.chat_id,
          seq: row.msg_seq!,
          author_id: row.msg_author_id!,
          text: row.msg_text!,
          client_message_id: row.msg_client_message_id!,
          created_at: row.msg_created_at!,
          edited_at: row.msg_edited_at,
          deleted_at: row.msg_deleted_at,
          reply_to_id: row.msg_reply_to_id,
          thread_root_id: row.msg_thread_root_id,
          reply_count: row.msg_reply_count ?? 0,
          mention_ids: row.msg_mention_ids ?? [],
          pinned_at: row.msg_pinned_at,
        });
  const banned = row.type === 'MEMBER_BANNED' || row.type === 'MEMBER_UNBANNED';
  const member: MemberRecord | null =
    row.member_user_id === null || banned
      ? null
      : {
          chatId: row.chat_id,
          userId: row.member_user_id,
          role: (row.member_role ?? 'MEMBER') as ChatRole,
          joinedAt: row.member_joined_at ?? row.at,
          lastReadSeq: row.member_last_read_seq ?? 0,
        };
  return {
    chatId: row.chat_id,
    seq: row.seq,
    type: row.type as ChatEventType,
    actorId: row.actor_id,
    at: row.at,
    message,
    member,
    title: row.title,
    emoji: row.emoji,
    userId: banned ? row.member_user_id : null,
  };
}
