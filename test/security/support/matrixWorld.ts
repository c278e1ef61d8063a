import {
  createTestDatabases,
  gatewayRequest,
  liveClient,
  ProcessStack,
  signUp,
  subscribe,
  testConfig,
  waitUntil,
  type TestDatabases,
} from '@chatgraph/testing';
import type { Role, World } from './authorizationCases';

/** A running stack for the authorization matrix, and the world its cases act in. */
export interface MatrixWorld {
  world: World;
  stack: ProcessStack;
  close(): Promise<void>;
}

/**
 * Starts every subgraph and a gateway on databases of their own, signs up the owner, a member, a stranger and an
 * outsider, and makes the shared chat (the owner's group with the member in it, and a message of the owner).
 */
export async function startMatrixWorld(env: Record<string, string> = {}): Promise<MatrixWorld> {
  const config = testConfig();
  const dbs: TestDatabases = await createTestDatabases(config);
  const stack = new ProcessStack(ProcessStack.envFor(config, env));
  const close = async () => {
    await stack.close();
    await dbs.drop();
  };
  try {
    await stack.startSubgraphs();
    await stack.start('gateway', 'gateway');
    const url = stack.url('gateway');
    const [owner, member, stranger, outsider] = await Promise.all(
      ['Owner', 'Member', 'Stranger', 'Outsider'].map((name) => signUp(url, name)),
    );
    const users = { owner: owner!, member: member!, stranger: stranger! };
    const fixture = async () => {
      const chat = await gatewayRequest<{ createGroupChat: { id: string } }>(
        url,
        users.owner.token,
        'mutation($m: [ID!]!) { createGroupChat(title: "matrix", memberIds: $m) { id } }',
        { m: [users.member.id] },
      );
      const chatId = chat.data!.createGroupChat.id;
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
