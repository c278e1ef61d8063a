import type { SubgraphClient } from '@chatgraph/service';

/** Which chats a user is a member of. */
export interface MembershipCheck {
  /** The ids among `chatIds` of chats `userId` is a member of. */
  memberOf(userId: string, chatIds: readonly string[]): Promise<Set<string>>;
}

/**
 * Asks the chats subgraph, as the user (signed identity, like the gateway), whether they may read each chat
 * (`canReadChat`, one aliased field per chat in one request): the chats service owns memberships.
 */
export class ChatMemberships implements MembershipCheck {
  constructor(private readonly chats: SubgraphClient) {}

  async memberOf(userId: string, chatIds: readonly string[]): Promise<Set<string>> {
    if (chatIds.length === 0) return new Set();
    const defs = chatIds.map((_, i) => `$c${i}: ID!`).join(', ');
    const fields = chatIds.map((_, i) => `m${i}: canReadChat(chatId: $c${i})`).join(' ');
    const variables = Object.fromEntries(chatIds.map((id, i) => [`c${i}`, id]));
    const data = await this.chats.request<Record<string, boolean>>(
      `query Memberships(${defs}) { ${fields} }`,
      variables,
      userId,
    );
    return new Set(chatIds.filter((_, i) => data[`m${i}`] === true));
  }
}
