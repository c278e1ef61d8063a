import {
  createTestDatabases,
  gatewayRequest,
  liveClient,
  LOAD_RATE_LIMITS,
  ProcessStack,
  signUp,
  subscribe,
  testConfig,
  waitUntil,
  type TestDatabases,
} from '@chatgraph/testing';
import { Client } from 'pg';
import { databaseUrl, shardMapFor } from '@chatgraph/db';
import type { Role, World } from './authorizationCases';

/** A running stack for the authorization matrix, and the world its cases act in. */
export interface MatrixWorld {
  world: World;
  stack: ProcessStack;
  close(): Promise<void>;
}

/**
 * Starts every subgraph and a gateway on databases of their own, signs up the owner, an admin, a member, a stranger
 * and an outsider, and makes the shared chat (the owner's group with the member and the admin in it, and a message
 * of the owner). The API has no operation that makes an admin yet: the fixture gives the role on the chat's shard.
 */
export async function startMatrixWorld(env: Record<string, string> = {}): Promise<MatrixWorld> {
  const config = testConfig();
  const dbs: TestDatabases = await createTestDatabases(config);
  // Every case that changes a chat gets a fresh one from the owner: the group-change limit (60 per 10 minutes by
  // default, tested in abuse.test.ts) would refuse the matrix's own fixtures.
  const stack = new ProcessStack(
    ProcessStack.envFor(config, { RATE_LIMIT_MEMBERSHIP_USER: LOAD_RATE_LIMITS.RATE_LIMIT_MEMBERSHIP_USER!, ...env }),
  );
  const close = async () => {
    await stack.close();
    await dbs.drop();
  };
  try {
    await stack.startSubgraphs();
    await stack.start('gateway', 'gateway');
    const url = stack.url('gateway');
    const [owner, member, admin, stranger, outsider] = await Promise.all(
      ['Owner', 'Member', 'Admin', 'Stranger', 'Outsider'].map((name) => signUp(url, name)),
    );
    const users = { owner: owner!, member: member!, admin: admin!, stranger: stranger! };
    const chatsShards = shardMapFor(config, 'chats');
    const makeAdmin = async (chatId: string, userId: string) => {
      const shard = chatsShards.shardFor(BigInt(chatId));
      const sql = new Client({ connectionString: databaseUrl(config.DATABASE_URL, shard.database) });
      await sql.connect();
      try {
        await sql.query(`UPDATE chat_members SET role = 'ADMIN' WHERE chat_id = $1 AND user_id = $2`, [chatId, userId]);
      } finally {
        await sql.end();
      }
    };
    const fixture = async () => {
      const chat = await gatewayRequest<{ createGroupChat: { id: string } }>(
        url,
        users.owner.token,
        'mutation($m: [ID!]!) { createGroupChat(title: "matrix", memberIds: $m) { id } }',
        { m: [users.member.id, users.admin.id] },
      );
      if (!chat.data) throw new Error(`the fixture's createGroupChat failed: ${JSON.stringify(chat.errors)}`);
      const chatId = chat.data.createGroupChat.id;
      await makeAdmin(chatId, users.admin.id);
      const sent = await gatewayRequest<{ sendMessage: { id: string; seq: number } }>(
        url,
        users.owner.token,
        'mutation($c: ID!, $m: String!) { sendMessage(chatId: $c, text: "hello", clientMessageId: $m) { id seq } }',
        { c: chatId, m: `m${Date.now()}${Math.random()}`.replace('.', '') },
      );
      return { chatId, messageId: sent.data!.sendMessage.id, lastSeq: sent.data!.sendMessage.seq };
    };
    const liveCount = async () => {
      const metrics = (await (await fetch(stack.adminUrl('gateway'))).json()) as {
        subscriptions: { liveSubscriptions: number };
      };
      return metrics.subscriptions.liveSubscriptions;
    };
    const world: World = {
      url,
      users,
      outsider: outsider!,
      shared: await fixture(),
      fixture,
      tokenOf: (role: Role) => (role === 'anonymous' ? null : users[role].token),
      wsUrl: stack.wsUrl('gateway'),
      liveCount,
      request: (role, query, variables = {}) =>
        gatewayRequest(url, role === 'anonymous' ? null : users[role].token, query, variables),
      liveClient,
      subscribe,
      waitUntil,
    };
    return { world, stack, close };
  } catch (err) {
    await close();
    throw err;
  }
}
