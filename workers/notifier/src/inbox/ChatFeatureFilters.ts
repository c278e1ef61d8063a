import type { ChatsClient, ShardedDatabase } from '@chatgraph/db';
import type { SubgraphClient } from '@chatgraph/service';
import type { RelayedEvent } from '../relay/RelayedEvent';
import type { MentionSource } from './MentionSource';
import type { BlockList, MuteList } from './RecipientFilters';

const NOBODY: ReadonlySet<bigint> = new Set();
const BLOCKING = 'query NotifierUsersBlocking($ids: [ID!]!) { usersBlockingViewer(userIds: $ids) }';
/** Most ids one `usersBlockingViewer` call takes. */
const MAX_IDS_PER_CALL = 100;

/**
 * The mentions the chats service resolved when the message was sent (`messages.mention_ids`: members named as
 * `@username` then), read on the chat's shard: one primary-key read per MESSAGE_ADDED that has a message.
 */
export class StoredMentions implements MentionSource {
  constructor(private readonly chats: ShardedDatabase<ChatsClient>) {}

  async mentionedMembers(event: RelayedEvent): Promise<ReadonlySet<bigint>> {
    if (event.type !== 'MESSAGE_ADDED' || !event.message) return NOBODY;
    const rows = await this.chats.clientFor(BigInt(event.chatId)).$queryRaw<Array<{ mention_ids: bigint[] }>>`
      SELECT mention_ids FROM messages WHERE id = ${BigInt(event.message.id)}`;
    return new Set((rows[0]?.mention_ids ?? []).map(BigInt));
  }
}

/** Blocks as the users service keeps them: recipients who blocked the actor (asked as the actor). */
export class UsersBlockList implements BlockList {
  constructor(private readonly users: SubgraphClient) {}

  async blockedBy(actorId: bigint, recipientIds: readonly bigint[]): Promise<ReadonlySet<bigint>> {
    const found = new Set<bigint>();
    for (let i = 0; i < recipientIds.length; i += MAX_IDS_PER_CALL) {
      const ids = recipientIds.slice(i, i + MAX_IDS_PER_CALL).map(String);
      // A failed lookup throws: the event is retried rather than delivered to someone who blocked its actor.
      const data = await this.users.request<{ usersBlockingViewer: string[] }>(BLOCKING, { ids }, actorId.toString());
      for (const id of data.usersBlockingViewer) found.add(BigInt(id));
    }
    return found;
  }
}

/** Mutes as the chats service keeps them (`chat_members.muted_until` in the future), on the chat's shard. */
export class ChatsMuteList implements MuteList {
  constructor(private readonly chats: ShardedDatabase<ChatsClient>) {}

  async mutedBy(chatId: bigint, recipientIds: readonly bigint[]): Promise<ReadonlySet<bigint>> {
    if (recipientIds.length === 0) return NOBODY;
    const rows = await this.chats.clientFor(chatId).$queryRaw<Array<{ user_id: bigint }>>`
      SELECT user_id FROM chat_members
       WHERE chat_id = ${chatId} AND user_id = ANY(${recipientIds.map(String)}::bigint[]) AND muted_until > now()`;
    return new Set(rows.map((r) => r.user_id));
  }
}
