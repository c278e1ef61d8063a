import { randomBytes } from 'node:crypto';
import { subgraphRequester } from '@chatgraph/testing';
import type { BenchStack } from './BenchStack';

/** A signed-up bench user. */
export interface SeedUser {
  id: string;
  token: string;
}

/** A group chat and its members (the first is the owner). */
export interface SeedChat {
  id: string;
  members: SeedUser[];
}

/** The data every scenario runs on. */
export interface Seed {
  users: SeedUser[];
  chats: SeedChat[];
  /** The chat with a history of at least 50 messages by several authors, some of them online. */
  historyChat: SeedChat;
}

/** How much to create. */
export interface SeedSize {
  chats: number;
  membersPerChat: number;
  historyMessages: number;
}

async function inBatches<T, R>(
  items: readonly T[],
  parallel: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i]!, i);
      }
    }),
  );
  return out;
}

function must<T>(res: { data?: T | null; errors?: unknown }, what: string): T {
  if (!res.data) throw new Error(`${what} failed: ${JSON.stringify(res.errors)}`);
  return res.data;
}

/**
 * Creates users (signUp on the users subgraph), group chats (createGroupChat on chats, as the owner), a 50+ message
 * history in the first chat by all its members, and presence for half of them, through the subgraphs' public
 * operations (with the signed identity header a gateway would send).
 */
export async function seed(stack: BenchStack, size: SeedSize): Promise<Seed> {
  const users = subgraphRequester(stack.config, stack.subgraphUrl('users'));
  const chats = subgraphRequester(stack.config, stack.subgraphUrl('chats'));
  const presence = subgraphRequester(stack.config, stack.subgraphUrl('presence'));
  const run = randomBytes(3).toString('hex');
  const total = size.chats * size.membersPerChat;
  const created = await inBatches(
    Array.from({ length: total }, (_, i) => i),
    16,
    async (i) => {
      const res = await users<{ signUp: { token: string; user: { id: string } } }>(
        'mutation($u: String!, $p: String!, $d: String!) { signUp(username: $u, password: $p, displayName: $d) { token user { id } } }',
        { u: `b${run}_${i}`, p: 'bench password 1', d: `Bench User ${i}` },
      );
      const data = must(res, 'signUp');
      return { id: data.signUp.user.id, token: data.signUp.token };
    },
  );
  const groups = await inBatches(
    Array.from({ length: size.chats }, (_, c) => c),
    8,
    async (c) => {
      const members = created.slice(c * size.membersPerChat, (c + 1) * size.membersPerChat);
      const res = await chats<{ createGroupChat: { id: string } }>(
        'mutation($t: String!, $m: [ID!]!) { createGroupChat(title: $t, memberIds: $m) { id } }',
        { t: `bench chat ${c}`, m: members.slice(1).map((u) => u.id) },
        members[0]!.id,
      );
      return { id: must(res, 'createGroupChat').createGroupChat.id, members };
    },
  );
  const historyChat = groups[0]!;
  for (let i = 0; i < size.historyMessages; i++) {
    const author = historyChat.members[i % historyChat.members.length]!;
    must(
      await chats(
        'mutation($c: ID!, $t: String!, $m: String!) { sendMessage(chatId: $c, text: $t, clientMessageId: $m) { seq } }',
        { c: historyChat.id, t: `History message number ${i}, with a little text to carry.`, m: `h${i}` },
        author.id,
      ),
      'sendMessage',
    );
  }
  await inBatches(historyChat.members.slice(0, Math.ceil(historyChat.members.length / 2)), 8, async (u, i) =>
    must(
      await presence(
        'mutation($s: PresenceStatus) { heartbeat(status: $s) { status } }',
        { s: i % 2 ? 'AWAY' : 'ONLINE' },
        u.id,
      ),
      'heartbeat',
    ),
  );
  return { users: created, chats: groups, historyChat };
}
