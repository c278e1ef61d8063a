import { randomInt } from 'node:crypto';
import type { ChatsClient, ShardedDatabase } from '@chatgraph/db';
import { LOGICAL_SHARDS, logicalShardForKey } from '@chatgraph/ids';
import { badInput, userError } from '@chatgraph/errors';
import { ChatAccess } from '../policy/ChatAccess';
import { ActivityIndex } from './ActivityIndex';
import { ChatList, type ChatPage } from './ChatList';
import { ChatRows } from './ChatRows';
import { EventLog } from './EventLog';
import type { ChatPosition, ChatView, CommitListener, MemberRecord, MessageRecord } from './records';
import {
  CHAT_COLUMNS,
  UNREAD_COUNT,
  VIEW_COLUMNS,
  bigintArray,
  chatFromRow,
  memberFromRow,
  viewFromRow,
  type ChatRow,
  type MemberRow,
  type ViewRow,
} from './rows';
import { runTransaction } from './runTransaction';

/**
 * Chats: creating them, renaming them, and reading them for a viewer (batched per shard). A chat lives on the shard
 * of its id's logical shard: a random one for groups, `logicalShardForKey("<smaller id>:<larger id>")` for direct
 * chats, so that `direct_key UNIQUE` on that one shard makes a pair's direct chat unique even under concurrent calls.
 */
export class ChatStore {
  private readonly list: ChatList;

  constructor(
    private readonly db: ShardedDatabase<ChatsClient>,
    private readonly feed: CommitListener,
  ) {
    this.list = new ChatList(db);
  }

  /** Creates a group owned by `ownerId` with `memberIds` (distinct, without the owner) as members. */
  async createGroup(ownerId: bigint, title: string, memberIds: readonly bigint[]): Promise<ChatView> {
    const logical = randomInt(LOGICAL_SHARDS);
    const change = await runTransaction(this.db.clientForLogical(logical), async (tx) => {
      const rows = await tx.$queryRaw<ChatRow[]>`
        WITH c AS (
          INSERT INTO chats (id, kind, title, created_by)
          VALUES (chatgraph_next_id(${logical}::int), 'GROUP', ${title}, ${ownerId})
          RETURNING *
        )
        SELECT ${CHAT_COLUMNS} FROM c`;
      const chat = chatFromRow(rows[0]!);
      const members = await ChatRows.insertMembers(tx, chat.id, [
        { userId: ownerId, role: 'OWNER' },
        ...memberIds.map((userId) => ({ userId, role: 'MEMBER' as const })),
      ]);
      const appended = await EventLog.append(tx, {
        chatId: chat.id,
        actorId: ownerId,
        touch: true,
        events: members.map((member) => ({ type: 'MEMBER_ADDED' as const, member })),
        outbox: members.map((m) => ({ userId: m.userId, op: 'ADD' as const })),
      });
      await ActivityIndex.record(tx, chat.id, appended.chat.lastActivityAt);
      return { ...appended, removedIds: [], owner: members[0]!, activityAt: appended.chat.lastActivityAt };
    });
    await this.feed.committed(change);
    return { chat: change.chat, membership: change.owner };
  }

  /** The direct chat of two users, created (or completed with missing members) when needed. */
  async createDirect(viewerId: bigint, otherId: bigint): Promise<ChatView> {
    const pair = viewerId < otherId ? [viewerId, otherId] : [otherId, viewerId];
    const directKey = `${pair[0]}:${pair[1]}`;
    const logical = logicalShardForKey(directKey);
    const client = this.db.clientForLogical(logical);
    // The common case (the chat exists with both members) is one read and no lock.
    const existing = await client.$queryRaw<Array<ViewRow & { both: number }>>`
      SELECT ${VIEW_COLUMNS},
             (SELECT count(*)::int FROM chat_members x WHERE x.chat_id = c.id AND x.user_id = ANY(${bigintArray(pair)})) AS both
        FROM chats c LEFT JOIN chat_members m ON m.chat_id = c.id AND m.user_id = ${viewerId}
       WHERE c.direct_key = ${directKey}`;
    if (existing[0] && existing[0].both === 2) return viewFromRow(existing[0], viewerId);

    const change = await runTransaction(client, async (tx) => {
      // A concurrent creator's row makes this insert wait for its commit and then do nothing.
      await tx.$executeRaw`
        INSERT INTO chats (id, kind, direct_key, created_by)
        VALUES (chatgraph_next_id(${logical}::int), 'DIRECT', ${directKey}, ${viewerId})
        ON CONFLICT (direct_key) DO NOTHING`;
      const locked = await tx.$queryRaw<ChatRow[]>`
        SELECT ${CHAT_COLUMNS} FROM chats c WHERE c.direct_key = ${directKey} FOR UPDATE`;
      const chat = chatFromRow(locked[0]!);
      const current = await ChatRows.members(tx, chat.id, pair);
      const missing = pair.filter((id) => !current.has(id));
      if (missing.length === 0)
        return {
          chatId: chat.id,
          chat,
          events: [],
          memberIds: pair,
          removedIds: [],
          outboxIds: [],
          viewer: current.get(viewerId)!,
        };
      const added = await ChatRows.insertMembers(
        tx,
        chat.id,
        missing.map((userId) => ({ userId, role: 'MEMBER' as const })),
      );
      const appended = await EventLog.append(tx, {
        chatId: chat.id,
        actorId: viewerId,
        touch: true,
        events: added.map((member) => ({ type: 'MEMBER_ADDED' as const, member })),
        outbox: added.map((m) => ({ userId: m.userId, op: 'ADD' as const })),
      });
      await ActivityIndex.record(tx, chat.id, appended.chat.lastActivityAt);
      const viewer = current.get(viewerId) ?? added.find((m) => m.userId === viewerId)!;
      return { ...appended, removedIds: [], viewer, activityAt: appended.chat.lastActivityAt };
    });
    await this.feed.committed(change);
    return { chat: change.chat, membership: change.viewer };
  }

  /** Renames a group chat (owner and admins). Same title: nothing is written. */
  async rename(actorId: bigint, chatId: bigint, title: string): Promise<ChatView> {
    const change = await runTransaction(this.db.clientFor(chatId), async (tx) => {
      const chat = await ChatRows.lock(tx, chatId);
      const actor = ChatAccess.requireMember(
        chatId,
        chat,
        (await ChatRows.members(tx, chatId, [actorId])).get(actorId),
      );
      if (chat!.kind === 'DIRECT') throw badInput('chatId', 'A direct chat has no title.');
      if (!ChatAccess.canManage(actor.role))
        throw userError('FORBIDDEN', 'Only the owner and admins can rename this chat.');
      if (chat!.title === title)
        return { chatId, chat: chat!, events: [], memberIds: [], removedIds: [], outboxIds: [], actor };
      await tx.$executeRaw`UPDATE chats SET title = ${title} WHERE id = ${chatId}`;
      const appended = await EventLog.append(tx, {
        chatId,
        actorId,
        touch: true,
        events: [{ type: 'CHAT_UPDATED', title }],
      });
      await ActivityIndex.record(tx, chatId, appended.chat.lastActivityAt);
      return { ...appended, removedIds: [], actor, activityAt: appended.chat.lastActivityAt };
    });
    await this.feed.committed(change);
    return { chat: change.chat, membership: change.actor };
  }

  /**
   * Chats with the viewer's membership in each, one statement per shard (a primary-key lookup per id, whatever the
   * number of the viewer's chats); unknown ids map to null.
   */
  async views(viewerId: bigint, chatIds: readonly bigint[]): Promise<Map<bigint, ChatView>> {
    const result = new Map<bigint, ChatView>();
    await Promise.all(
      [...this.db.groupByShard(chatIds, (id) => id)].map(async ([shard, ids]) => {
        const rows = await this.db.clientAt(shard).$queryRaw<ViewRow[]>`
          SELECT ${VIEW_COLUMNS}
            FROM unnest(${bigintArray(ids)}) AS k(id)
            JOIN chats c ON c.id = k.id
            LEFT JOIN chat_members m ON m.chat_id = k.id AND m.user_id = ${viewerId}`;
        for (const row of rows) result.set(row.id, viewFromRow(row, viewerId));
      }),
    );
    return result;
  }

  /** Members of each chat, longest-standing first, one statement per shard. */
  async members(chatIds: readonly bigint[]): Promise<Map<bigint, MemberRecord[]>> {
    const result = new Map<bigint, MemberRecord[]>(chatIds.map((id) => [id, []]));
    await Promise.all(
      [...this.db.groupByShard(chatIds, (id) => id)].map(async ([shard, ids]) => {
        const rows = await this.db.clientAt(shard).$queryRaw<MemberRow[]>`
          SELECT chat_id, user_id, role, joined_at, last_read_seq FROM chat_members
           WHERE chat_id = ANY(${bigintArray(ids)})
           ORDER BY joined_at, (role = 'OWNER') DESC, user_id`;
        for (const row of rows) result.get(row.chat_id)?.push(memberFromRow(row));
      }),
    );
    return result;
  }

  /** The viewer's unread count in each chat (0 where not a member), one statement per shard, O(1) per chat. */
  async unreadCounts(viewerId: bigint, chatIds: readonly bigint[]): Promise<Map<bigint, number>> {
    const result = new Map<bigint, number>(chatIds.map((id) => [id, 0]));
    await Promise.all(
      [...this.db.groupByShard(chatIds, (id) => id)].map(async ([shard, ids]) => {
        const rows = await this.db.clientAt(shard).$queryRaw<Array<{ chat_id: bigint; unread: number }>>`
          SELECT m.chat_id, ${UNREAD_COUNT} AS unread
            FROM unnest(${bigintArray(ids)}) AS k(id)
            JOIN chats c ON c.id = k.id
            JOIN chat_members m ON m.chat_id = k.id AND m.user_id = ${viewerId}`;
        for (const row of rows) result.set(row.chat_id, row.unread);
      }),
    );
    return result;
  }

  /** A page of the viewer's chats, newest activity first (see {@link ChatList.page}). */
  listForUser(viewerId: bigint, first: number, after: ChatPosition | null): Promise<ChatPage> {
    return this.list.page(viewerId, first, after);
  }

  /** The newest message of each chat (see {@link ChatList.lastMessages}). */
  lastMessages(chatIds: readonly bigint[]): Promise<Map<bigint, MessageRecord>> {
    return this.list.lastMessages(chatIds);
  }
}
