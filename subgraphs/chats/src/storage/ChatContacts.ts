import type { ChatsClient, ShardedDatabase } from '@chatgraph/db';
import { bigintArray } from './rows';
import { UserChatIndex } from './UserChatIndex';

/**
 * Who shares a chat with whom: the question presence asks before it shows a user's presence to a viewer. Answered
 * from the viewer's `user_chats` index (one statement on the viewer's shard), then membership itself (the truth) on
 * each shard holding some of the viewer's chats: 1 + at most one statement per chat shard, however many users are
 * asked about.
 */
export class ChatContacts {
  private readonly index: UserChatIndex;

  constructor(private readonly db: ShardedDatabase<ChatsClient>) {
    this.index = new UserChatIndex(db);
  }

  /** Those of `userIds` who are members of at least one chat the viewer is a member of (the viewer included). */
  async sharingAChat(viewerId: bigint, userIds: readonly bigint[]): Promise<bigint[]> {
    const others = userIds.filter((id) => id !== viewerId);
    const found = new Set<bigint>(others.length < userIds.length ? [viewerId] : []);
    if (others.length === 0) return [...found];
    const chatIds = await this.index.chatIdsOf(viewerId);
    if (chatIds.length === 0) return [...found];
    const perShard = await Promise.all(
      [...this.db.groupByShard(chatIds, (id) => id)].map(
        ([shard, ids]) =>
          this.db.clientAt(shard).$queryRaw<Array<{ user_id: bigint }>>`
            SELECT DISTINCT user_id FROM chat_members
             WHERE chat_id = ANY(${bigintArray(ids)}) AND user_id = ANY(${bigintArray(others)})`,
      ),
    );
    for (const rows of perShard) for (const row of rows) found.add(row.user_id);
    return [...found];
  }
}
