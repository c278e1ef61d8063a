import { identitySignerFromConfig } from '@chatgraph/auth';
import type { Config } from '@chatgraph/config';
import { composeId } from '@chatgraph/ids';
import { createLogger } from '@chatgraph/logging';
import { RedisEventBus, redisLocation } from '@chatgraph/pubsub';
import { RateLimits } from '@chatgraph/ratelimit';
import {
  createTestDatabases,
  subgraphRequester,
  testConfig,
  type GraphQLResponse,
  type TestDatabases,
} from '@chatgraph/testing';
import { randomInt } from 'node:crypto';
import { createChatsServer, EVERY_USER_EXISTS, type ChatsServerDeps } from '../src/server';
import type { ChatsStores } from '../src/context';

/**
 * These tests run the chats subgraph without a users subgraph and name users by made-up ids (placed on chosen
 * shards), so every id counts as an existing account here. The existence check itself is covered end to end
 * (test/e2e), against the real users subgraph.
 */
export const everyUserExists = EVERY_USER_EXISTS;

/** A user id on physical chats shard `shard` (of 4), unique enough to be a test's own. */
export function userOnShard(shard: number, shards = 4): string {
  const per = 4096 / shards;
  return composeId({
    timeMs: Date.now() - randomInt(1_000_000_000),
    logicalShard: shard * per + randomInt(per),
    sequence: randomInt(1024),
  }).toString();
}

/** A fresh user id on a random shard. */
export function newUser(): string {
  return userOnShard(randomInt(4));
}

/** A running chats subgraph on throwaway shard databases. */
export interface ChatsHarness {
  config: Config;
  dbs: TestDatabases;
  bus: RedisEventBus;
  limits: RateLimits;
  stores: ChatsStores;
  url: string;
  /** Calls the subgraph as `viewerId` (signed identity header, like the gateway). */
  as(
    viewerId: string | null,
  ): <T = Record<string, any>>(query: string, variables?: Record<string, unknown>) => Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

/**
 * Starts the chats subgraph on new databases (4 chats shards) and the given Redis (events and rate limits).
 * `env` overrides configuration (e.g. `RATE_LIMIT_MESSAGE_USER`).
 */
export async function startChats(
  options: {
    redisUrl?: string;
    hooks?: ChatsServerDeps['hooks'];
    env?: Record<string, string>;
    /** The user directory (default: every id exists, no username is known). */
    users?: ChatsServerDeps['users'];
    typingTtlMs?: number;
  } = {},
): Promise<ChatsHarness> {
  const config = testConfig({
    CHATS_SHARDS: '4',
    USERS_SHARDS: '1',
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    ...options.env,
  });
  const dbs = await createTestDatabases(config);
  const logger = createLogger('chats-test', 'silent');
  // As the service starts: the Redis of REDIS_URL, or the cluster of REDIS_CLUSTER_NODES when `env` sets it.
  const bus = new RedisEventBus({ ...redisLocation(config), logger });
  const limits = RateLimits.fromConfig(config, logger);
  const { server, stores } = createChatsServer({
    users: options.users ?? everyUserExists,
    db: dbs.chats,
    bus,
    relayWakeups: bus.channels.sharded,
    limits,
    identity: identitySignerFromConfig(config),
    logger,
    hooks: options.hooks,
    typingTtlMs: options.typingTtlMs,
  });
  await limits.store.connected();
  const url = await server.listen(0);
  const request = subgraphRequester(config, url);
  return {
    config,
    dbs,
    bus,
    limits,
    stores,
    url,
    as: (viewerId) => (query, variables) => request(query, variables ?? {}, viewerId),
    async close() {
      await server.close();
      await stores.publisher.close();
      await limits.close();
      await bus.close();
      await dbs.drop();
    },
  };
}

/** The data of a response, failing the test with the errors when there are any. */
export function ok<T>(res: GraphQLResponse<T>): T {
  if (res.errors?.length) throw new Error(`unexpected errors: ${JSON.stringify(res.errors)}`);
  return res.data as T;
}

/** The `extensions.code` of a response's first error (undefined when it succeeded). */
export function codeOf(res: GraphQLResponse<unknown>): string | undefined {
  return res.errors?.[0]?.extensions?.code;
}

/** Creates a group chat as `owner` and returns its id. */
export async function createGroup(
  h: ChatsHarness,
  owner: string,
  memberIds: string[],
  title = 'Test group',
): Promise<string> {
  const data = ok(
    await h.as(owner)<{ createGroupChat: { id: string } }>(
      `mutation($t: String!, $m: [ID!]!) { createGroupChat(title: $t, memberIds: $m) { id } }`,
      { t: title, m: memberIds },
    ),
  );
  return data.createGroupChat.id;
}

/** Sends a message as `author` and returns it. */
export async function send(
  h: ChatsHarness,
  author: string,
  chatId: string,
  text: string,
  clientMessageId = `c${randomInt(1e9)}`,
) {
  return h.as(author)<{ sendMessage: { id: string; seq: number; text: string } }>(
    `mutation($c: ID!, $t: String!, $k: String!) { sendMessage(chatId: $c, text: $t, clientMessageId: $k) { id seq text } }`,
    { c: chatId, t: text, k: clientMessageId },
  );
}

/** Counts rows of a table over every chats shard (to prove nothing was written). */
export async function countRows(
  h: ChatsHarness,
  table: 'chats' | 'chat_members' | 'chat_events' | 'messages' | 'user_chats' | 'index_outbox',
): Promise<number> {
  let total = 0;
  for (const { client } of h.dbs.chats.all()) {
    const rows = await client.$queryRawUnsafe<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM ${table}`);
    total += rows[0]!.n;
  }
  return total;
}
