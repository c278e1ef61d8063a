import type { ChatsClient, ShardedDatabase } from '@chatgraph/db';

/** How many chats' kinds a process remembers. */
const CAPACITY = 50_000;

/**
 * Which chats are direct, and between whom: a chat's kind and a direct chat's two members never change, so a process
 * remembers them after the first read (bounded, oldest forgotten first). A send in a direct chat asks the users
 * service whether the other member blocked the sender; a send in a group costs nothing more once the kind is known.
 */
export class DirectChats {
  private readonly known = new Map<bigint, readonly [bigint, bigint] | null>();

  constructor(private readonly db: ShardedDatabase<ChatsClient>) {}

  /** Remembers what a write just learned (the chat was created or read here): its pair, or null for a group. */
  prime(chatId: bigint, pair: readonly [bigint, bigint] | null): void {
    if (this.known.has(chatId)) return;
    if (this.known.size >= CAPACITY) this.known.delete(this.known.keys().next().value!);
    this.known.set(chatId, pair);
  }

  /** The two members of a direct chat; null for a group or an unknown chat (one statement on a first look). */
  async pairOf(chatId: bigint): Promise<readonly [bigint, bigint] | null> {
    if (this.known.has(chatId)) return this.known.get(chatId)!;
    const rows = await this.db.clientFor(chatId).$queryRaw<Array<{ kind: string; direct_key: string | null }>>`
      SELECT kind, direct_key FROM chats WHERE id = ${chatId}`;
    const row = rows[0];
    if (!row) return null;
    const [a, b] = (row.direct_key ?? '').split(':');
    const pair = row.kind === 'DIRECT' && a && b ? ([BigInt(a), BigInt(b)] as const) : null;
    this.prime(chatId, pair);
    return pair;
  }
}
