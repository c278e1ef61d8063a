// Over 350 lines: the send statement and the edit, delete and pin changes share their locking, counters and event
// rules and read best together; reads of messages live in MessageHistory.
import { sampledTraceparent } from '@chatgraph/telemetry';
import { ChatsPrisma, type ChatsClient, type ShardedDatabase } from '@chatgraph/db';
import { logicalShardOf } from '@chatgraph/ids';
import { userError } from '@chatgraph/errors';
import { ChatAccess } from '../policy/ChatAccess';
import { ChatRows } from './ChatRows';
import { isUniqueViolation } from '@chatgraph/service';
import { EventLog } from './EventLog';
import { Reactions } from './Reactions';
import type { ChatKind, ChatRole, CommitListener, EventRecord, MessageRecord } from './records';
import { MESSAGE_COLUMNS, bigintArray, messageFromRow, type MessageRow } from './rows';
import type { MessageHistory } from './MessageHistory';
import { runTransaction } from './runTransaction';
import { UnreadCounters } from './UnreadCounters';

/** The outcome of {@link MessageStore.send}. */
export interface SendResult {
  message: MessageRecord;
  /** The MESSAGE_ADDED event, when this call created the message (null for a retry that found the original). */
  event: EventRecord | null;
  /** Members of the chat when the message was added (empty for a retry). */
  memberIds: bigint[];
}

interface SentRow {
  id: bigint;
  seq: number;
  created_at: Date;
  thread_root_id: bigint | null;
  mention_ids: Array<bigint | string>;
  member_ids: bigint[];
}

/** What a message is besides its text (see {@link MessageStore.send}). */
export interface SendOptions {
  /** The message it replies to (in the same chat, not deleted). */
  replyToId?: bigint | null;
  /** Users the text names as `@username`; those who are members when it is sent become its mentions. */
  mentionCandidates?: readonly bigint[];
}

const CLIENT_MESSAGE_ID_KEY = 'messages_chat_id_author_id_client_message_id_key';

/** Most pinned messages per chat. */
export const MAX_PINS = 50;

/** What a change decides from (see `MessageStore.change`). */
interface ChangeFacts {
  message: MessageRecord;
  role: ChatRole;
  kind: ChatKind;
  /** Pinned messages of the chat now. */
  pinnedCount: number;
}

type Decision =
  | { type: 'MESSAGE_EDITED'; text: string; mentionCandidates: readonly bigint[] }
  | { type: 'MESSAGE_DELETED' }
  | { type: 'MESSAGE_PINNED' }
  | { type: 'MESSAGE_UNPINNED' };

/** The candidates who are members of the chat now, in the given order (a `bigint[]` expression). */
function mentionsOf(chatId: bigint, candidates: readonly bigint[]): ChatsPrisma.Sql {
  return ChatsPrisma.sql`ARRAY(SELECT u.id FROM unnest(${bigintArray(candidates)}) WITH ORDINALITY AS u(id, ord)
    WHERE EXISTS (SELECT 1 FROM chat_members x WHERE x.chat_id = ${chatId} AND x.user_id = u.id) ORDER BY u.ord)`;
}

/** Messages: sending (the hot path), editing, deleting, and reading history. */
export class MessageStore {
  constructor(
    private readonly db: ShardedDatabase<ChatsClient>,
    private readonly feed: CommitListener,
    /** Reads the messages a reply refers to, for its event. */
    private readonly history: MessageHistory,
  ) {}

  /**
   * Sends a message in ONE statement on the chat's shard (no transaction round trips): it key-share-locks the
   * sender's membership (so a concurrent removal either waits for this send or makes it fail), bumps `last_seq` and
   * `message_count` with `UPDATE ... RETURNING` (the chat row lock orders concurrent senders: no gaps, no
   * duplicates), then the author's `sent_count` (the unread counters, see `UnreadCounters`), takes the message id
   * from `chatgraph_next_id` on the chat's logical shard, inserts the message and its MESSAGE_ADDED event, records
   * the chat's new activity time for the members' chat lists (`activity_outbox`, see `ActivityIndex`), and returns
   * the member ids for the activity fan-out. No other member's row is written.
   *
   * Idempotency: `(chat_id, author_id, client_message_id)` is unique. A retry violates it, which aborts the whole
   * statement, so the seq bump is rolled back with it and no seq is consumed; the original is then read and
   * returned (or CONFLICT when the text differs). Concurrent retries queue on the chat row lock; the first inserts,
   * the others hit the constraint after its commit.
   */
  async send(
    chatId: bigint,
    authorId: bigint,
    text: string,
    clientMessageId: string,
    options: SendOptions = {},
  ): Promise<SendResult> {
    const client = this.db.clientFor(chatId);
    const replyToId = options.replyToId ?? null;
    const candidates = options.mentionCandidates ?? [];
    const insert = () => this.insert(chatId, authorId, text, clientMessageId, replyToId, candidates);
    let rows: SentRow[];
    try {
      rows = await insert().catch((err: unknown) => {
        // Ids are unique up to 1024 per millisecond and database; past that the statement fails whole (no seq is
        // consumed) and a second try gets a fresh id.
        if (isUniqueViolation(err, 'messages_pkey')) return insert();
        throw err;
      });
    } catch (err) {
      if (!isUniqueViolation(err, CLIENT_MESSAGE_ID_KEY)) throw err;
      return { message: await this.original(chatId, authorId, text, clientMessageId), event: null, memberIds: [] };
    }
    const row = rows[0];
    if (!row) {
      const { chat, membership } = await ChatRows.explain(client, chatId, authorId);
      ChatAccess.requireMember(chatId, chat, membership);
      if (replyToId !== null) throw await this.whyNotRepliable(client, chatId, replyToId);
      throw new Error(`send to chat ${chatId} wrote nothing for a member`);
    }
    const message: MessageRecord = {
      id: row.id,
      chatId,
      seq: row.seq,
      authorId,
      text,
      clientMessageId,
      createdAt: row.created_at,
      editedAt: null,
      deletedAt: null,
      replyToId,
      threadRootId: row.thread_root_id,
      replyCount: 0,
      mentionIds: row.mention_ids.map(BigInt),
      pinnedAt: null,
    };
    const event: EventRecord = {
      chatId,
      seq: row.seq,
      type: 'MESSAGE_ADDED',
      actorId: authorId,
      at: row.created_at,
      message,
      member: null,
      title: null,
      emoji: null,
      reactions: [],
    };
    return { message, event, memberIds: (row.member_ids ?? []).map(BigInt) };
  }

  /** Why a member's reply wrote nothing: the message replied to is not in this chat, or was deleted. */
  private async whyNotRepliable(client: ChatsClient, chatId: bigint, replyToId: bigint): Promise<Error> {
    const rows = await client.$queryRaw<Array<{ deleted: boolean }>>`
      SELECT deleted_at IS NOT NULL AS deleted FROM messages WHERE id = ${replyToId} AND chat_id = ${chatId}`;
    if (rows[0]?.deleted)
      return userError('CONFLICT', 'The message replied to was deleted; it cannot be replied to.', {
        field: 'replyToId',
      });
    return userError('NOT_FOUND', `There is no message with id ${replyToId} in this chat.`, { field: 'replyToId' });
  }

  /**
   * The send statement itself (see {@link send}). A reply also requires the message replied to (same chat, not
   * deleted) and bumps its thread root's `reply_count`; mentions keep the candidates who are members now.
   */
  private insert(
    chatId: bigint,
    authorId: bigint,
    text: string,
    clientMessageId: string,
    replyToId: bigint | null,
    mentionCandidates: readonly bigint[],
  ): Promise<SentRow[]> {
    const replyTo = replyToId === null ? null : replyToId.toString();
    // Prepared once per connection (the text never varies: everything is a parameter), see preparedStatements; run on
    // the shard's driver adapter, under the Prisma client (see AdapterStatements): the hottest statement there is.
    return this.db.statementsFor(chatId).rows<SentRow>(ChatsPrisma.sql`/* prepared: send_message */
        WITH member AS (
          SELECT 1 FROM chat_members WHERE chat_id = ${chatId} AND user_id = ${authorId} FOR KEY SHARE
        ), parent AS (
          SELECT coalesce(p.thread_root_id, p.id) AS root_id FROM messages p
           WHERE p.id = ${replyTo}::bigint AND p.chat_id = ${chatId} AND p.deleted_at IS NULL
        ), bump AS (
          UPDATE chats SET last_seq = last_seq + 1, message_count = message_count + 1,
                           last_activity_at = clock_timestamp()
           WHERE id = ${chatId} AND EXISTS (SELECT 1 FROM member)
             AND (${replyTo}::bigint IS NULL OR EXISTS (SELECT 1 FROM parent))
          RETURNING last_seq, message_count, last_activity_at
        ), author AS (
          UPDATE chat_members SET sent_count = sent_count + 1
           WHERE chat_id = ${chatId} AND user_id = ${authorId} AND EXISTS (SELECT 1 FROM bump)
          RETURNING sent_count
        ), root AS (
          UPDATE messages SET reply_count = reply_count + 1
           WHERE id = (SELECT root_id FROM parent) AND EXISTS (SELECT 1 FROM bump)
        ), msg AS (
          INSERT INTO messages (id, chat_id, seq, author_id, text, client_message_id, created_at, chat_ordinal,
                                author_ordinal, reply_to_id, thread_root_id, mention_ids)
          SELECT chatgraph_next_id(${logicalShardOf(chatId)}::int), ${chatId}, bump.last_seq, ${authorId}, ${text},
                 ${clientMessageId}, bump.last_activity_at, bump.message_count, author.sent_count, ${replyTo}::bigint,
                 (SELECT root_id FROM parent),
                 ${mentionsOf(chatId, mentionCandidates)}
            FROM bump, author
          RETURNING id, seq, created_at, thread_root_id, mention_ids
        ), ev AS (
          INSERT INTO chat_events (chat_id, seq, type, actor_id, message_id, at, traceparent)
          SELECT ${chatId}, msg.seq, 'MESSAGE_ADDED', ${authorId}, msg.id, msg.created_at, ${sampledTraceparent()}::text
            FROM msg
        ), activity AS (
          INSERT INTO activity_outbox (chat_id, at) SELECT ${chatId}, msg.created_at FROM msg
          ON CONFLICT (chat_id) DO UPDATE SET at = excluded.at
        )
        SELECT msg.id, msg.seq, msg.created_at, msg.thread_root_id, msg.mention_ids,
               (SELECT array_agg(m.user_id) FROM chat_members m WHERE m.chat_id = ${chatId}) AS member_ids
          FROM msg`);
  }

  /** {@link send}, then publishes the new message's event (after the commit). */
  async sendAndPublish(
    chatId: bigint,
    authorId: bigint,
    text: string,
    clientMessageId: string,
    options: SendOptions = {},
  ): Promise<MessageRecord> {
    const sent = await this.send(chatId, authorId, text, clientMessageId, options);
    if (sent.event) {
      // A reply's event carries the messages it refers to (one read on the chat's shard, after the commit).
      const { replyToId, threadRootId } = sent.message;
      const related =
        replyToId === null
          ? undefined
          : await this.history.byIds(threadRootId === null ? [replyToId] : [replyToId, threadRootId]);
      await this.feed.committed({
        chatId,
        events: [{ ...sent.event, related }],
        memberIds: sent.memberIds,
        removedIds: [],
        outboxIds: [],
        activityAt: sent.message.createdAt,
      });
    }
    return sent.message;
  }

  private async original(
    chatId: bigint,
    authorId: bigint,
    text: string,
    clientMessageId: string,
  ): Promise<MessageRecord> {
    const rows = await this.db.clientFor(chatId).$queryRaw<MessageRow[]>`
      SELECT ${MESSAGE_COLUMNS} FROM messages msg
       WHERE msg.chat_id = ${chatId} AND msg.author_id = ${authorId} AND msg.client_message_id = ${clientMessageId}`;
    const original = messageFromRow(rows[0]!);
    // A deleted message's text is wiped, so a retry of it cannot be compared: it gets the (deleted) original.
    if (original.deletedAt === null && original.text !== text) {
      throw userError(
        'CONFLICT',
        `clientMessageId "${clientMessageId}" was already used for a different message in this chat; use a new one.`,
        { field: 'clientMessageId', messageId: original.id.toString() },
      );
    }
    return original;
  }

  /**
   * Changes the text of the viewer's own message; `mentionCandidates` are the users the new text names (those who
   * are members become its mentions). Same text: nothing is written.
   */
  async edit(
    actorId: bigint,
    messageId: bigint,
    text: string,
    mentionCandidates: readonly bigint[] = [],
  ): Promise<MessageRecord> {
    return this.change(actorId, messageId, ({ message }) => {
      if (message.authorId !== actorId) throw userError('FORBIDDEN', 'You can only edit your own messages.');
      if (message.deletedAt) throw userError('CONFLICT', 'This message was deleted; it cannot be edited.');
      if (message.text === text) return null;
      return { type: 'MESSAGE_EDITED', text, mentionCandidates };
    });
  }

  /**
   * Deletes a message: one's own, or any for the owner and admins. Already deleted: nothing is written. Its
   * reactions, mentions and pin go with its text.
   */
  async delete(actorId: bigint, messageId: bigint): Promise<MessageRecord> {
    return this.change(actorId, messageId, ({ message, role }) => {
      if (message.authorId !== actorId && !ChatAccess.canManage(role))
        throw userError('FORBIDDEN', "Only the chat's owner and admins can delete other people's messages.");
      if (message.deletedAt) return null;
      return { type: 'MESSAGE_DELETED' };
    });
  }

  /**
   * Pins (`pin`) or unpins a message: the owner and admins of a group, either member of a direct chat. Already in
   * that state: nothing is written. A chat has at most {@link MAX_PINS} pinned messages.
   */
  async setPinned(actorId: bigint, messageId: bigint, pin: boolean): Promise<MessageRecord> {
    return this.change(actorId, messageId, ({ message, role, kind, pinnedCount }) => {
      if (!ChatAccess.canPin(kind, role))
        throw userError('FORBIDDEN', 'Only the owner and admins can pin or unpin messages in a group.');
      if (message.deletedAt) throw userError('CONFLICT', 'This message was deleted; it cannot be pinned.');
      if ((message.pinnedAt !== null) === pin) return null;
      if (pin && pinnedCount >= MAX_PINS)
        throw userError('LIMIT_EXCEEDED', `A chat has at most ${MAX_PINS} pinned messages; unpin one first.`, {
          limit: MAX_PINS,
        });
      return { type: pin ? 'MESSAGE_PINNED' : 'MESSAGE_UNPINNED' };
    });
  }

  /**
   * Edit, delete, pin and unpin: lock the chat row first, then read the message and the actor's membership in a
   * fresh statement (so nothing read can be stale: every writer of a chat's messages holds that lock), then update
   * the message and append its event in one statement.
   */
  private async change(actorId: bigint, messageId: bigint, decide: (facts: ChangeFacts) => Decision | null) {
    const result = await runTransaction(this.db.clientFor(messageId), async (tx) => {
      const locked = await tx.$queryRaw<Array<{ id: bigint }>>`
        SELECT id FROM chats WHERE id = (SELECT chat_id FROM messages WHERE id = ${messageId}) FOR UPDATE`;
      if (!locked[0]) throw userError('NOT_FOUND', `There is no message with id ${messageId}.`, { field: 'messageId' });
      const rows = await tx.$queryRaw<
        Array<MessageRow & { role: string | null; kind: ChatKind; pinned_count: number }>
      >`
        SELECT ${MESSAGE_COLUMNS}, m.role, c.kind,
               (SELECT count(*)::int FROM messages p WHERE p.chat_id = msg.chat_id AND p.pinned_at IS NOT NULL)
                 AS pinned_count
          FROM messages msg
          JOIN chats c ON c.id = msg.chat_id
          LEFT JOIN chat_members m ON m.chat_id = msg.chat_id AND m.user_id = ${actorId}
         WHERE msg.id = ${messageId}`;
      const row = rows[0]!;
      if (row.role === null) throw ChatAccess.notMember();
      const message = messageFromRow(row);
      const decision = decide({ message, role: row.role as ChatRole, kind: row.kind, pinnedCount: row.pinned_count });
      if (!decision) return { message, change: null };
      const updated = await tx.$queryRaw<MessageRow[]>`
        UPDATE messages msg SET ${this.update(decision, actorId, message.chatId)}
         WHERE msg.id = ${messageId} RETURNING ${MESSAGE_COLUMNS}`;
      const after = messageFromRow(updated[0]!);
      if (decision.type === 'MESSAGE_DELETED') {
        await UnreadCounters.messageDeleted(tx, after);
        await tx.$executeRaw`DELETE FROM message_reactions WHERE message_id = ${messageId}`;
      }
      const reactions =
        decision.type === 'MESSAGE_DELETED'
          ? []
          : ((await Reactions.groups(tx, [messageId], null)).get(messageId) ?? []);
      const appended = await EventLog.append(tx, {
        chatId: after.chatId,
        actorId,
        touch: false,
        events: [{ type: decision.type, message: after, reactions }],
      });
      return { message: after, change: { ...appended, removedIds: [] } };
    });
    if (result.change) await this.feed.committed(result.change);
    return result.message;
  }

  /** The SET list of a change's UPDATE. */
  private update(decision: Decision, actorId: bigint, chatId: bigint): ChatsPrisma.Sql {
    switch (decision.type) {
      case 'MESSAGE_EDITED':
        return ChatsPrisma.sql`text = ${decision.text}, edited_at = clock_timestamp(),
          mention_ids = ${mentionsOf(chatId, decision.mentionCandidates)}`;
      case 'MESSAGE_DELETED':
        return ChatsPrisma.sql`text = '', deleted_at = clock_timestamp(), mention_ids = '{}', pinned_at = NULL,
          pinned_by = NULL`;
      case 'MESSAGE_PINNED':
        return ChatsPrisma.sql`pinned_at = clock_timestamp(), pinned_by = ${actorId}`;
      case 'MESSAGE_UNPINNED':
        return ChatsPrisma.sql`pinned_at = NULL, pinned_by = NULL`;
    }
  }
}
