import type { ChatsClient, ShardedDatabase } from '@chatgraph/db';
import type { SubgraphClient } from '@chatgraph/service';
import type { RelayedEvent } from '../relay/RelayedEvent';
import { mentionedUsernames, type MentionSource } from './MentionSource';

/** Options of {@link UsernameMentions}. */
export interface UsernameMentionsOptions {
  /** The users subgraph, called as the message's author (signed identity, like the gateway). */
  users: SubgraphClient;
  /** The chats shards, for the membership check. */
  chats: ShardedDatabase<ChatsClient>;
}

/**
 * Mentions resolved by the worker: the `@username`s of a message's text are looked up in the users subgraph (one
 * request, one aliased `userByUsername` per name), then kept when the user is a member of the chat now. A failed
 * lookup rejects, so the event is retried later rather than notifying nobody.
 */
export class UsernameMentions implements MentionSource {
  constructor(private readonly options: UsernameMentionsOptions) {}

  async mentionedMembers(event: RelayedEvent): Promise<ReadonlySet<bigint>> {
    if (event.type !== 'MESSAGE_ADDED' || !event.message) return new Set();
    const names = mentionedUsernames(event.message.text);
    if (names.length === 0) return new Set();
    const userIds = await this.lookUp(names, event.actorId);
    if (userIds.length === 0) return new Set();
    const chatId = BigInt(event.chatId);
    const rows = await this.options.chats.clientFor(chatId).$queryRaw<Array<{ user_id: bigint }>>`
      SELECT user_id FROM chat_members WHERE chat_id = ${chatId} AND user_id = ANY(${userIds.map(String)}::bigint[])`;
    return new Set(rows.map((r) => r.user_id));
  }

  private async lookUp(names: string[], viewerId: string): Promise<bigint[]> {
    const defs = names.map((_, i) => `$u${i}: String!`).join(', ');
    const fields = names.map((_, i) => `m${i}: userByUsername(username: $u${i}) { id }`).join(' ');
    const variables = Object.fromEntries(names.map((name, i) => [`u${i}`, name]));
    // A failed lookup throws (SERVICE_UNAVAILABLE or the users subgraph's error): the event is retried later.
    const data = await this.options.users.request<Record<string, { id: string } | null>>(
      `query Mentions(${defs}) { ${fields} }`,
      variables,
      viewerId,
    );
    return Object.values(data)
      .filter((u): u is { id: string } => u !== null)
      .map((u) => BigInt(u.id));
  }
}
