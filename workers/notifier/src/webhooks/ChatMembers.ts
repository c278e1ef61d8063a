import DataLoader from 'dataloader';
import { ChatsPrisma, type ChatsClient, type ShardedDatabase } from '@chatgraph/db';
import { nextIoTurn } from '../batching/nextIoTurn';

/** A member of a chat. */
interface Membership {
  chatId: bigint;
  userId: bigint;
}

/** Most memberships one statement reads. */
const MAX_PER_READ = 1000;

/**
 * Who of some users is a member of a chat now (`chat_members`, on the chat's shard), read fresh for every event; the
 * questions of the events handled at the same time (a prefetch window) are one statement per chats shard, prepared
 * and run on the shard's driver adapter (every window of the webhooks queue runs it; see `AdapterStatements`).
 */
export class ChatMembers {
  private readonly loader: DataLoader<Membership, boolean>;

  constructor(private readonly chats: ShardedDatabase<ChatsClient>) {
    this.loader = new DataLoader((keys) => this.load(keys), {
      cache: false,
      maxBatchSize: MAX_PER_READ,
      batchScheduleFn: nextIoTurn,
    });
  }

  /** Those of `userIds` who are members of `chatId`. */
  async membersOf(chatId: bigint, userIds: readonly bigint[]): Promise<Set<bigint>> {
    const answers = await this.loader.loadMany(userIds.map((userId) => ({ chatId, userId })));
    const members = new Set<bigint>();
    answers.forEach((member, i) => {
      if (member instanceof Error) throw member;
      if (member) members.add(userIds[i]!);
    });
    return members;
  }

  private async load(keys: readonly Membership[]): Promise<boolean[]> {
    const members = new Set<string>();
    await Promise.all(
      [...this.chats.groupByShard(keys, (k) => k.chatId)].map(async ([shard, group]) => {
        const rows = await this.chats.statementsAt(shard).rows<{ chat_id: bigint; user_id: bigint }>(
          ChatsPrisma.sql`/* prepared: notifier_memberships */
            SELECT m.chat_id, m.user_id
              FROM chat_members m
              JOIN unnest(${group.map((k) => k.chatId.toString())}::bigint[],
                          ${group.map((k) => k.userId.toString())}::bigint[]) AS k(chat_id, user_id)
                ON m.chat_id = k.chat_id AND m.user_id = k.user_id`,
        );
        for (const row of rows) members.add(`${row.chat_id}:${row.user_id}`);
      }),
    );
    return keys.map((k) => members.has(`${k.chatId}:${k.userId}`));
  }
}
