import DataLoader from 'dataloader';
import { ChatsPrisma, type ChatsClient, type ShardedDatabase } from '@chatgraph/db';
import type { SubgraphClient } from '@chatgraph/service';
import type { RelayedEvent } from '../relay/RelayedEvent';
import { nextIoTurn } from '../batching/nextIoTurn';
import type { MentionSource } from './MentionSource';
import { NOBODY, type BlockList, type MuteList } from './RecipientFilters';

const BLOCKING = 'query NotifierUsersBlocking($ids: [ID!]!) { usersBlockingViewer(userIds: $ids) }';
/** Most ids one `usersBlockingViewer` call takes. */
const MAX_IDS_PER_CALL = 100;
/** Most keys one batched lookup on a chats shard takes. */
const MAX_KEYS_PER_READ = 1000;

/** A message of a chat (the chat id says which shard holds it). */
interface MessageKey {
  chatId: bigint;
  messageId: bigint;
}

/** A member of a chat. */
interface MemberKey {
  chatId: bigint;
  userId: bigint;
}

/**
 * The mentions the chats service resolved when the message was sent (`messages.mention_ids`: members named as
 * `@username` then). The relay reads them with the event, so an event carries them (`message.mentionIds`) and costs no
 * statement here; an event relayed before that has them read on the chat's shard, those handled at the same time (a
 * prefetch window) together: one statement per chats shard for all their messages.
 */
export class StoredMentions implements MentionSource {
  private readonly loader: DataLoader<MessageKey, ReadonlySet<bigint>, string>;

  constructor(private readonly chats: ShardedDatabase<ChatsClient>) {
    this.loader = new DataLoader((keys) => this.load(keys), {
      cache: false,
      maxBatchSize: MAX_KEYS_PER_READ,
      batchScheduleFn: nextIoTurn,
    });
  }

  async mentionedMembers(event: RelayedEvent): Promise<ReadonlySet<bigint>> {
    if (event.type !== 'MESSAGE_ADDED' || !event.message) return NOBODY;
    const carried = event.message.mentionIds;
    if (carried) return carried.length === 0 ? NOBODY : new Set(carried.map(BigInt));
    return this.loader.load({ chatId: BigInt(event.chatId), messageId: BigInt(event.message.id) });
  }

  private async load(keys: readonly MessageKey[]): Promise<Array<ReadonlySet<bigint>>> {
    const found = new Map<bigint, ReadonlySet<bigint>>();
    await Promise.all(
      [...this.chats.groupByShard(keys, (k) => k.chatId)].map(async ([shard, group]) => {
        const rows = await this.chats.clientAt(shard).$queryRaw<Array<{ id: bigint; mention_ids: bigint[] }>>`
          SELECT id, mention_ids FROM messages WHERE id = ANY(${group.map((k) => k.messageId.toString())}::bigint[])`;
        for (const row of rows) found.set(row.id, new Set(row.mention_ids.map(BigInt)));
      }),
    );
    return keys.map((k) => found.get(k.messageId) ?? NOBODY);
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

/**
 * Mutes as the chats service keeps them (`chat_members.muted_until` in the future), and who is a member at all, on the
 * chat's shard, read fresh for every event (a mute takes effect at once): the inbox's mute list, and the webhooks'
 * check that an owner is still a member of the chat. The lookups of the events handled at the same time are read
 * together: one statement per chats shard, prepared and run on the shard's driver adapter (every window of the inbox
 * and webhooks queues runs it; see `AdapterStatements`).
 */
export class ChatMemberStates implements Required<MuteList> {
  /** Per (chat, user): 'muted', 'member' (not muted), or null for someone who is not a member. */
  private readonly loader: DataLoader<MemberKey, 'muted' | 'member' | null, string>;

  constructor(private readonly chats: ShardedDatabase<ChatsClient>) {
    this.loader = new DataLoader((keys) => this.load(keys), {
      cache: false,
      maxBatchSize: MAX_KEYS_PER_READ,
      batchScheduleFn: nextIoTurn,
    });
  }

  async mutedBy(chatId: bigint, recipientIds: readonly bigint[]): Promise<ReadonlySet<bigint>> {
    return this.withState(chatId, recipientIds, (state) => state === 'muted');
  }

  async membersOf(chatId: bigint, recipientIds: readonly bigint[]): Promise<ReadonlySet<bigint>> {
    return this.withState(chatId, recipientIds, (state) => state !== null);
  }

  /** The recipients whose membership state (read once per event window) passes `test`. */
  private async withState(
    chatId: bigint,
    recipientIds: readonly bigint[],
    test: (state: 'muted' | 'member' | null) => boolean,
  ): Promise<ReadonlySet<bigint>> {
    if (recipientIds.length === 0) return NOBODY;
    const states = await this.loader.loadMany(recipientIds.map((userId) => ({ chatId, userId })));
    const out = new Set<bigint>();
    states.forEach((state, i) => {
      if (state instanceof Error) throw state;
      if (test(state)) out.add(recipientIds[i]!);
    });
    return out;
  }

  private async load(keys: readonly MemberKey[]): Promise<Array<'muted' | 'member' | null>> {
    const states = new Map<string, 'muted' | 'member'>();
    // An event asks mutes and membership of the same recipients (no loader cache): each key is read once.
    const unique = [...new Map(keys.map((k) => [`${k.chatId}:${k.userId}`, k])).values()];
    await Promise.all(
      [...this.chats.groupByShard(unique, (k) => k.chatId)].map(async ([shard, group]) => {
        const rows = await this.chats.statementsAt(shard).rows<{ chat_id: bigint; user_id: bigint; muted: boolean }>(
          ChatsPrisma.sql`/* prepared: notifier_member_states */
            SELECT m.chat_id, m.user_id, coalesce(m.muted_until > now(), false) AS muted
              FROM chat_members m
              JOIN unnest(${group.map((k) => k.chatId.toString())}::bigint[],
                          ${group.map((k) => k.userId.toString())}::bigint[]) AS k(chat_id, user_id)
                ON m.chat_id = k.chat_id AND m.user_id = k.user_id`,
        );
        for (const row of rows) states.set(`${row.chat_id}:${row.user_id}`, row.muted ? 'muted' : 'member');
      }),
    );
    return keys.map((k) => states.get(`${k.chatId}:${k.userId}`) ?? null);
  }
}
