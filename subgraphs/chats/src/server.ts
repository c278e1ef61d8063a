import { relayWakeupChannel } from '@chatgraph/pubsub';
import fs from 'node:fs';
import path from 'node:path';
import { parse, type DocumentNode } from 'graphql';
import type { IdentitySigner } from '@chatgraph/auth';
import type { ChatsClient, ShardedDatabase } from '@chatgraph/db';
import { parseId } from '@chatgraph/ids';
import type { Logger } from '@chatgraph/logging';
import { ChatContacts } from './storage/ChatContacts';
import { createSubgraphServer, type SubgraphServer } from '@chatgraph/service';
import type { ChatsContext, ChatsStores } from './context';
import { resolvers } from './resolvers';
import { ChangeFeed, type ChangeFeedHooks } from './live/ChangeFeed';
import { ChatLoaders } from './loaders/ChatLoaders';
import { ChatStore } from './storage/ChatStore';
import { EventPublisher, type EventBus } from './live/EventPublisher';
import { MembershipStore } from './storage/MembershipStore';
import { MessageStore } from './storage/MessageStore';
import { MessageHistory } from './storage/MessageHistory';
import { MessageSearch } from './storage/MessageSearch';
import { DirectChats } from './policy/DirectChats';
import { TypingExpiry } from './policy/TypingExpiry';
import { ReactionStore } from './storage/Reactions';
import type { RateLimits } from '@chatgraph/ratelimit';
import { TypingLimiter } from './policy/TypingLimiter';
import type { UserDirectory } from './users/UserDirectory';

/** The chats subgraph's SDL (read from src/, so it works from src/ and dist/ alike). */
export const typeDefs: DocumentNode = parse(
  fs.readFileSync(path.join(__dirname, '..', 'src', 'schema.graphql'), 'utf8'),
);

/** What {@link createChatsServer} is built from. */
export interface ChatsServerDeps {
  db: ShardedDatabase<ChatsClient>;
  /** Where events are published (a `RedisEventBus`). */
  bus: EventBus;
  /**
   * Also announce each change on its shard's relay wake-up channel (`relayWakeupChannel`): on a Redis Cluster, where
   * the notifier cannot listen to `chat:*`. @default false
   */
  relayWakeups?: boolean;
  identity: IdentitySigner;
  logger: Logger;
  /** Existence checks of user ids (the users subgraph, see `RemoteUserDirectory`). */
  users: UserDirectory;
  /** Test hooks into the steps after a commit. */
  hooks?: ChangeFeedHooks;
  /** Rate limits (`RateLimits.fromConfig`); owned by the caller, which closes them after the server. */
  limits: RateLimits;
  introspection?: boolean;
  /** How long a `typing: true` holds without renewal. @default TYPING_TTL_MS */
  typingTtlMs?: number;
  /** Extra readiness check (e.g. Redis); the shards are always pinged. */
  ready?: () => Promise<void>;
}

/** The chats subgraph server and the stores behind it (tests use the stores directly). */
export interface ChatsServer {
  server: SubgraphServer<ChatsContext>;
  stores: ChatsStores;
}

/** The long-lived stores of one chats process. */
export function createChatsStores(
  deps: Pick<ChatsServerDeps, 'db' | 'bus' | 'logger' | 'hooks' | 'users' | 'relayWakeups'>,
): ChatsStores {
  const publisher = new EventPublisher(deps.bus, {
    logger: deps.logger,
    relayWakeup: deps.relayWakeups ? (chatId) => relayWakeupChannel(deps.db.shardFor(chatId).database) : undefined,
  });
  const feed = new ChangeFeed(deps.db, publisher, deps.logger, deps.hooks);
  const history = new MessageHistory(deps.db);
  return {
    db: deps.db,
    chats: new ChatStore(deps.db, feed),
    // The send path reads what it refers to on the primary; resolvers read through `history` (replicas).
    messages: new MessageStore(deps.db, feed, new MessageHistory(deps.db, 'primary')),
    history,
    reactions: new ReactionStore(deps.db, feed),
    search: new MessageSearch(deps.db),
    directChats: new DirectChats(deps.db),
    memberships: new MembershipStore(deps.db, feed),
    publisher,
    users: deps.users,
    contacts: new ChatContacts(deps.db),
  };
}

/** Builds the chats subgraph (opens no port: call `server.listen`). */
export function createChatsServer(deps: ChatsServerDeps): ChatsServer {
  const stores = createChatsStores(deps);
  const typing = new TypingLimiter(deps.limits);
  const typingExpiry = new TypingExpiry(stores.publisher, typing, deps.typingTtlMs);
  const server = createSubgraphServer<ChatsContext>({
    name: 'chats',
    typeDefs,
    resolvers,
    identity: deps.identity,
    logger: deps.logger,
    introspection: deps.introspection,
    beforeResponse: () => deps.db.recordWrites(),
    context: (base) => ({
      ...base,
      stores,
      limits: deps.limits,
      typing,
      typingExpiry,
      loaders: new ChatLoaders(stores, parseId(base.viewerId)),
    }),
    ready: async () => {
      await deps.db.ping();
      await deps.ready?.();
    },
  });
  return { server, stores };
}

// The package's entry point: what tools, benchmarks and end-to-end tests build a chats service from.
export type { ChatsContext, ChatsStores } from './context';
export { IndexRepairer, type IndexRepairerOptions } from './jobs/IndexRepairer';
export { MessageStore, type SendResult } from './storage/MessageStore';
export type { ChangeFeedHooks } from './live/ChangeFeed';
export type { EventBus } from './live/EventPublisher';

/**
 * A directory that takes every id for an existing account: for tools that drive the chats storage without a users
 * subgraph (the bench's data-layer scenarios seed made-up user ids). A chats process never uses it.
 */
export const EVERY_USER_EXISTS: UserDirectory = {
  assertExist: async () => undefined,
  idsByUsernames: async () => [],
  usersBlocking: async () => [],
};
