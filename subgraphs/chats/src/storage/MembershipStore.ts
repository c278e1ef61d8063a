import { ChatsPrisma, type ChatsClient, type ShardedDatabase } from '@chatgraph/db';
import { badInput, userError } from '@chatgraph/errors';
import { ChatAccess } from '../policy/ChatAccess';
import { ActivityIndex } from './ActivityIndex';
import { ChatRows } from './ChatRows';
import { EventLog } from './EventLog';
import type { ChatView, CommitListener } from './records';
import { VIEW_COLUMNS, bigintArray, viewFromRow, type ViewRow } from './rows';
import { UnreadCounters } from './UnreadCounters';
import { runTransaction } from './runTransaction';

/** What "muted until unmuted" is stored and shown as. */
export const MUTED_FOREVER = new Date('9999-12-31T23:59:59.999Z');

/**
 * Membership changes and read markers. Membership lives on the chat's shard and is the truth for access; every
 * change also records index outbox rows for the users' `user_chats` (see `UserChatIndex`) in the same transaction.
 */
export class MembershipStore {
  constructor(
    private readonly db: ShardedDatabase<ChatsClient>,
    private readonly feed: CommitListener,
  ) {}

  /** Adds users to a group chat (owner/admins); users already members are skipped. */
  async addMembers(actorId: bigint, chatId: bigint, userIds: readonly bigint[]): Promise<ChatView> {
    const change = await runTransaction(this.db.clientFor(chatId), async (tx) => {
      const chat = await ChatRows.lock(tx, chatId);
      const current = await ChatRows.members(tx, chatId, [actorId, ...userIds]);
      const actor = ChatAccess.requireMember(chatId, chat, current.get(actorId));
      if (chat!.kind === 'DIRECT')
        throw badInput('chatId', 'A direct chat cannot gain members; create a group chat instead.');
      if (!ChatAccess.canManage(actor.role)) throw userError('FORBIDDEN', 'Only the owner and admins can add members.');
      const fresh = userIds.filter((id) => !current.has(id));
      const banned = await tx.$queryRaw<Array<{ user_id: bigint }>>`
        SELECT user_id FROM chat_bans WHERE chat_id = ${chatId} AND user_id = ANY(${bigintArray(fresh)})`;
      if (banned.length > 0) {
        const ids = banned.map((b) => b.user_id.toString());
        throw userError('BANNED', `User ${ids.join(', ')} is banned from this chat; unban them first.`, {
          field: 'userIds',
          userIds: ids,
        });
      }
      if (fresh.length === 0)
        return { chatId, chat: chat!, events: [], memberIds: [], removedIds: [], outboxIds: [], actor };
      const added = await ChatRows.insertMembers(
        tx,
        chatId,
        fresh.map((userId) => ({ userId, role: 'MEMBER' as const })),
      );
      const appended = await EventLog.append(tx, {
        chatId,
        actorId,
        touch: true,
        events: added.map((member) => ({ type: 'MEMBER_ADDED' as const, member })),
        outbox: added.map((m) => ({ userId: m.userId, op: 'ADD' as const })),
      });
      await ActivityIndex.record(tx, chatId, appended.chat.lastActivityAt);
      return { ...appended, removedIds: [], actor, activityAt: appended.chat.lastActivityAt };
    });
    await this.feed.committed(change);
    return { chat: change.chat, membership: change.actor };
  }

  /**
   * Removes a member from a group chat: the owner removes anyone, admins remove members. The removed member's row is
   * locked before the chat row (the lock order of `ChatRows`), so an in-flight send of theirs either lands before
   * the MEMBER_REMOVED event or is refused.
   */
  async removeMember(actorId: bigint, chatId: bigint, userId: bigint): Promise<ChatView> {
    const change = await runTransaction(this.db.clientFor(chatId), async (tx) => {
      const target = await ChatRows.lockMember(tx, chatId, userId);
      const chat = await ChatRows.lock(tx, chatId);
      const actor = ChatAccess.requireMember(
        chatId,
        chat,
        (await ChatRows.members(tx, chatId, [actorId])).get(actorId),
      );
      if (chat!.kind === 'DIRECT')
        throw badInput('chatId', 'Members cannot be removed from a direct chat; use leaveChat.');
      if (!ChatAccess.canManage(actor.role))
        throw userError('FORBIDDEN', 'Only the owner and admins can remove members.');
      if (!target) throw userError('NOT_FOUND', `User ${userId} is not a member of this chat.`, { field: 'userId' });
      if (!ChatAccess.outranks(actor.role, target.role))
        throw userError('FORBIDDEN', `An ${actor.role.toLowerCase()} cannot remove an ${target.role.toLowerCase()}.`);
      await tx.$executeRaw`DELETE FROM chat_members WHERE chat_id = ${chatId} AND user_id = ${userId}`;
      const appended = await EventLog.append(tx, {
        chatId,
        actorId,
        touch: false,
        events: [{ type: 'MEMBER_REMOVED', member: target }],
        outbox: [{ userId, op: 'REMOVE' }],
      });
      return { ...appended, removedIds: [userId], actor };
    });
    await this.feed.committed(change);
    return { chat: change.chat, membership: change.actor };
  }

  /**
   * The user leaves the chat. An owner hands ownership to the longest-standing admin, or else the longest-standing
   * member, in the same transaction.
   */
  async leave(userId: bigint, chatId: bigint): Promise<void> {
    const change = await runTransaction(this.db.clientFor(chatId), async (tx) => {
      const self = await ChatRows.lockMember(tx, chatId, userId);
      const chat = await ChatRows.lock(tx, chatId);
      const membership = ChatAccess.requireMember(chatId, chat, self);
      await tx.$executeRaw`DELETE FROM chat_members WHERE chat_id = ${chatId} AND user_id = ${userId}`;
      if (membership.role === 'OWNER') {
        await tx.$executeRaw`
          UPDATE chat_members SET role = 'OWNER'
           WHERE chat_id = ${chatId}
             AND user_id = (SELECT user_id FROM chat_members WHERE chat_id = ${chatId}
                             ORDER BY (role = 'ADMIN') DESC, joined_at, user_id LIMIT 1)`;
      }
      const appended = await EventLog.append(tx, {
        chatId,
        actorId: userId,
        touch: false,
        events: [{ type: 'MEMBER_REMOVED', member: membership }],
        outbox: [{ userId, op: 'REMOVE' }],
      });
      return { ...appended, removedIds: [userId] };
    });
    await this.feed.committed(change);
  }

  /**
   * Moves the viewer's read marker forward to `seq` (never back) and sets the unread counters for it (see
   * `UnreadCounters`): the member row is locked first and the counters are computed by the next statement, so a
   * delete that committed before the lock is counted and one after it waits and sees the new marker. Of two devices
   * marking concurrently, the second waits for the first and then moves the marker only if its `seq` is higher.
   */
  async markRead(userId: bigint, chatId: bigint, seq: number): Promise<ChatView & { moved: boolean }> {
    const client = this.db.clientFor(chatId);
    const row = await runTransaction(client, async (tx) => {
      const locked = await tx.$queryRaw<Array<{ last_read_seq: number }>>`
        SELECT last_read_seq FROM chat_members WHERE chat_id = ${chatId} AND user_id = ${userId} FOR NO KEY UPDATE`;
      if (!locked[0] || locked[0].last_read_seq >= seq) return undefined;
      const user = ChatsPrisma.sql`${userId}`;
      const marker = ChatsPrisma.sql`${seq}::int`;
      const rows = await tx.$queryRaw<ViewRow[]>`
        UPDATE chat_members m
           SET last_read_seq = ${marker},
               read_others = ${UnreadCounters.readOthersAt(chatId, user, marker)},
               unread_deleted = ${UnreadCounters.deletedAfter(chatId, user, marker)}
          FROM chats c
         WHERE m.chat_id = ${chatId} AND m.user_id = ${userId} AND c.id = m.chat_id AND ${marker} <= c.last_seq
        RETURNING ${VIEW_COLUMNS}`;
      return rows[0];
    });
    if (row) return { ...viewFromRow(row, userId), moved: true };
    const { chat, membership, unreadCount } = await ChatRows.explain(client, chatId, userId);
    const member = ChatAccess.requireMember(chatId, chat, membership);
    if (seq > chat!.lastSeq) throw badInput('seq', `seq ${seq} is beyond the chat's last seq ${chat!.lastSeq}.`);
    return { chat: chat!, membership: member, unreadCount, moved: false };
  }

  /**
   * Bans a user from a group chat (owner and admins; an admin bans members only): a member is removed in the same
   * transaction (MEMBER_REMOVED, so their live subscriptions end), then MEMBER_BANNED. Banning a banned user
   * changes nothing. Locks as {@link removeMember} does.
   */
  async ban(actorId: bigint, chatId: bigint, userId: bigint): Promise<ChatView> {
    const change = await runTransaction(this.db.clientFor(chatId), async (tx) => {
      const target = await ChatRows.lockMember(tx, chatId, userId);
      const chat = await ChatRows.lock(tx, chatId);
      const actor = ChatAccess.requireMember(
        chatId,
        chat,
        (await ChatRows.members(tx, chatId, [actorId])).get(actorId),
      );
      if (chat!.kind === 'DIRECT') throw badInput('chatId', 'Nobody can be banned from a direct chat; block the user.');
      if (!ChatAccess.canManage(actor.role)) throw userError('FORBIDDEN', 'Only the owner and admins can ban.');
      if (target && !ChatAccess.outranks(actor.role, target.role))
        throw userError('FORBIDDEN', `An ${actor.role.toLowerCase()} cannot ban an ${target.role.toLowerCase()}.`);
      const inserted = await tx.$executeRaw`
        INSERT INTO chat_bans (chat_id, user_id, banned_by) VALUES (${chatId}, ${userId}, ${actorId})
        ON CONFLICT DO NOTHING`;
      if (inserted === 0 && !target)
        return { chatId, chat: chat!, events: [], memberIds: [], removedIds: [], outboxIds: [], actor };
      if (target) await tx.$executeRaw`DELETE FROM chat_members WHERE chat_id = ${chatId} AND user_id = ${userId}`;
      const appended = await EventLog.append(tx, {
        chatId,
        actorId,
        touch: false,
        events: [
          ...(target ? [{ type: 'MEMBER_REMOVED' as const, member: target }] : []),
          ...(inserted > 0 ? [{ type: 'MEMBER_BANNED' as const, userId }] : []),
        ],
        outbox: target ? [{ userId, op: 'REMOVE' }] : [],
      });
      return { ...appended, removedIds: target ? [userId] : [], actor };
    });
    await this.feed.committed(change);
    return { chat: change.chat, membership: change.actor };
  }

  /** Lifts a ban (owner and admins): MEMBER_UNBANNED; nothing happens when the user is not banned. */
  async unban(actorId: bigint, chatId: bigint, userId: bigint): Promise<ChatView> {
    const change = await runTransaction(this.db.clientFor(chatId), async (tx) => {
      const chat = await ChatRows.lock(tx, chatId);
      const actor = ChatAccess.requireMember(
        chatId,
        chat,
        (await ChatRows.members(tx, chatId, [actorId])).get(actorId),
      );
      if (!ChatAccess.canManage(actor.role)) throw userError('FORBIDDEN', 'Only the owner and admins can unban.');
      const deleted = await tx.$executeRaw`DELETE FROM chat_bans WHERE chat_id = ${chatId} AND user_id = ${userId}`;
      if (deleted === 0)
        return { chatId, chat: chat!, events: [], memberIds: [], removedIds: [], outboxIds: [], actor };
      const appended = await EventLog.append(tx, {
        chatId,
        actorId,
        touch: false,
        events: [{ type: 'MEMBER_UNBANNED', userId }],
      });
      return { ...appended, removedIds: [], actor };
    });
    await this.feed.committed(change);
    return { chat: change.chat, membership: change.actor };
  }

  /**
   * Mutes the chat for the member until `until` (null: until unmuted; a time in the past unmutes). Only the
   * member's own notifications change, so it is no event of the chat.
   */
  async mute(userId: bigint, chatId: bigint, until: Date | null): Promise<ChatView> {
    const client = this.db.clientFor(chatId);
    const rows = await client.$queryRaw<ViewRow[]>`
      UPDATE chat_members m SET muted_until = ${(until ?? MUTED_FOREVER).toISOString()}::timestamptz
        FROM chats c
       WHERE m.chat_id = ${chatId} AND m.user_id = ${userId} AND c.id = m.chat_id
      RETURNING ${VIEW_COLUMNS}`;
    if (rows[0]) return viewFromRow(rows[0], userId);
    const { chat, membership } = await ChatRows.explain(client, chatId, userId);
    ChatAccess.requireMember(chatId, chat, membership);
    throw new Error(`mute of chat ${chatId} wrote nothing for a member`);
  }

  /** Unmutes the chat for the member. */
  async unmute(userId: bigint, chatId: bigint): Promise<ChatView> {
    const client = this.db.clientFor(chatId);
    const rows = await client.$queryRaw<ViewRow[]>`
      UPDATE chat_members m SET muted_until = NULL
        FROM chats c
       WHERE m.chat_id = ${chatId} AND m.user_id = ${userId} AND c.id = m.chat_id
      RETURNING ${VIEW_COLUMNS}`;
    if (rows[0]) return viewFromRow(rows[0], userId);
    const { chat, membership } = await ChatRows.explain(client, chatId, userId);
    ChatAccess.requireMember(chatId, chat, membership);
    throw new Error(`unmute of chat ${chatId} wrote nothing for a member`);
  }
}
