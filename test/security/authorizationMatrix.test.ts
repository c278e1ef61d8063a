/**
 * Who may do what, over every operation of the public API, through a real gateway and subgraphs: each operation is
 * tried by an anonymous caller, a signed-in stranger to the chat, a member, and the chat's owner, and the outcome
 * (`ok`, or the code of the refusal) must be the one in the table. The table must name every Query, Mutation and
 * Subscription field of the API schema: a new operation without a row fails this test.
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, isObjectType } from 'graphql';
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
import { MATRIX, ROLES, type Role, type World } from './support/authorizationCases';

const api = buildSchema(fs.readFileSync(path.resolve(__dirname, '../../gateway/api-schema.graphql'), 'utf8'));
const operations = (['Query', 'Mutation', 'Subscription'] as const).flatMap((type) => {
  const t = api.getType(type);
  return t && isObjectType(t) ? Object.keys(t.getFields()).map((field) => `${type}.${field}`) : [];
});

describe('authorization matrix: every operation, every role', () => {
  let dbs: TestDatabases;
  let stack: ProcessStack;
  let world: World;

  beforeAll(async () => {
    const config = testConfig();
    dbs = await createTestDatabases(config);
    stack = new ProcessStack(ProcessStack.envFor(config));
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
    world = {
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
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    await dbs?.drop();
  });

  it('has a row for every Query, Mutation and Subscription field of the API', () => {
    expect(operations.filter((name) => !(name in MATRIX))).toEqual([]);
    expect(Object.keys(MATRIX).filter((name) => !operations.includes(name))).toEqual([]);
  });

  it.each(Object.keys(MATRIX).sort())('%s', async (name) => {
    const row = MATRIX[name]!;
    const outcomes: Record<string, string> = {};
    for (const role of ROLES) outcomes[role] = await row.attempt(world, role);
    expect(outcomes).toEqual(row.expect);
  });
});
