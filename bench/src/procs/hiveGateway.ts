// Peer: Hive Gateway (JS) from bench/peers, with its defaults, the same supergraph, and only what the subgraphs
// require: the identity header (the token verified once per client request, like the other gateways; the header
// signed per subgraph request for its body). BENCH_HIVE_RESPONSE_CACHE=1 adds its response cache (see below),
// BENCH_HIVE_EDFS=1 its event-driven subscriptions.
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { IDENTITY_HEADER } from '@chatgraph/auth';
import { createLogger } from '@chatgraph/logging';
import { runService, type RunningService } from '@chatgraph/service';
import { PEERS_DIR, SUPERGRAPH_PATH } from '../paths';
import { peerIdentity, supergraphFor } from './peerIdentity';

/** The part of @graphql-hive/gateway's API used here (the package is not installed when the bench is compiled). */
interface HiveGatewayModule {
  createGatewayRuntime(config: {
    supergraph: string;
    logging: boolean;
    propagateHeaders: {
      fromClientToSubgraphs: (payload: { request?: Request; context?: HiveContext }) => Promise<Record<string, string>>;
    };
    plugins?: () => Array<{ onFetch?: (payload: HiveFetchPayload) => void }>;
    pubsub?: unknown;
    additionalTypeDefs?: string;
    cache?: unknown;
    responseCaching?: {
      session: (request: Request, context?: HiveContext) => Promise<string | null>;
      ttl: number;
      includeExtensionMetadata: boolean;
    };
  }): HiveRuntime;
  getGraphQLWSOptions(
    runtime: HiveRuntime,
    onContext: (ctx: { extra: { request: http.IncomingMessage; socket: unknown } }) => object,
  ): object;
}

type HiveRuntime = http.RequestListener & {
  dispose(): Promise<void> | void;
  graphqlEndpoint: string;
  fetchAPI: unknown;
};

interface HiveContext {
  connectionParams?: { authorization?: string };
}

/** What a Hive Gateway plugin's `onFetch` sees of a subgraph request. */
interface HiveFetchPayload {
  options: { body?: unknown; headers?: Record<string, string> };
  setOptions(options: HiveFetchPayload['options']): void;
}

/** Carries the viewer from `propagateHeaders` to `onFetch`, which signs the identity for the body (never sent). */
const VIEWER_HEADER = 'x-bench-viewer';

/**
 * Hive Gateway's answer to our entity cache, for the `hive-cached` kind: its response cache
 * (`@graphql-mesh/plugin-response-cache` on `@envelop/response-cache`), in memory as the hive-gateway CLI sets it up on
 * Node (an in-memory LRU). What each caches differs:
 * - Hive caches whole responses, per viewer (the session is the viewer the verified token names, so one viewer's answer
 *   is never served to another; the token is still verified on every request, hit or miss), keyed by document and
 *   variables. An entry is dropped only when a mutation through the same gateway instance returns an entity the
 *   response contains (typename and id), or when its TTL ends: a change made through another instance, or by a
 *   subgraph on its own (a presence change, a message sent elsewhere), is served stale until then. A hit runs no
 *   subgraph request at all.
 * - Ours caches entities (public `User` profile fields, shared by every viewer) and still fetches the rest of the plan
 *   (chats, presence) on every request; an entry is dropped on every gateway when the users subgraph announces the
 *   change, the TTL being only the safety net.
 * Same TTL as ours (ENTITY_CACHE_TTL_MS, 60 s by default).
 */
function responseCaching(
  config: { ENTITY_CACHE_TTL_MS: number },
  viewerOf: (key: object, authorization: () => string | null | undefined) => Promise<string>,
) {
  return {
    session: async (request: Request, context?: HiveContext) => {
      // Anonymous requests share the one anonymous viewer ('' here, as the identity header signs it: no user).
      const viewer = await viewerOf(
        context ?? request,
        () => context?.connectionParams?.authorization ?? request.headers.get('authorization'),
      );
      return `viewer:${viewer}`;
    },
    ttl: config.ENTITY_CACHE_TTL_MS,
    // The answers must stay byte-for-byte those of the other gateways (no `extensions.responseCache`).
    includeExtensionMetadata: false,
  };
}

/**
 * Hive Gateway's event-driven federated subscriptions (EDFS) on the same Redis channels the chats subgraph publishes
 * to: a gateway-side field resolved from the pub/sub topic, the rest of the selection from the subgraphs.
 */
const EDFS_TYPE_DEFS = `
  extend type Subscription {
    chatEventsEdfs(chatId: ID!): ChatEvent! @resolveTo(pubsubTopic: "{args.chatId}", sourceName: "chats")
    chatMessagesEdfs(chatId: ID!): Message @resolveTo(pubsubTopic: "{args.chatId}", sourceName: "chats", result: "message")
  }
`;

/**
 * The CommonJS build of @graphql-mesh/plugin-response-cache (0.107.2, what `require` loads) reads `.default.parse` of
 * cache-control-parser, which has no default export, so every subgraph response with a Cache-Control header fails
 * ("Cannot read properties of undefined (reading 'parse')"); its ES module build (what the hive-gateway CLI loads)
 * gets the whole module as the default. Giving the module that default makes the CommonJS build behave the same.
 */
function fixCacheControlParserInterop(requireFromPeers: NodeRequire): void {
  const fromPlugin = createRequire(requireFromPeers.resolve('@graphql-mesh/plugin-response-cache'));
  const parser = fromPlugin('cache-control-parser') as { default?: unknown };
  parser.default ??= parser;
}

/** The cache the hive-gateway CLI uses on Node when none is configured (its localforage default falls back to it). */
function inMemoryCache(requireFromPeers: NodeRequire): unknown {
  fixCacheControlParserInterop(requireFromPeers);
  const { default: InMemoryLRUCache } = requireFromPeers('@graphql-mesh/cache-inmemory-lru') as {
    default: new () => unknown;
  };
  return new InMemoryLRUCache();
}

async function main(): Promise<RunningService> {
  const identity = peerIdentity();
  const { config } = identity;
  const requireFromPeers = createRequire(path.join(PEERS_DIR, 'package.json'));
  const hive = requireFromPeers('@graphql-hive/gateway') as HiveGatewayModule;
  // The viewer ('' for none) by request context (or request), its token verified once per key; used by the headers
  // sent to the subgraphs and by the response cache's session.
  const viewers = new WeakMap<object, Promise<string>>();
  const viewerOf = (key: object, authorization: () => string | null | undefined) => {
    let viewer = viewers.get(key);
    if (!viewer) {
      viewer = identity.viewerOf(authorization()).then((viewerId) => viewerId ?? '');
      viewers.set(key, viewer);
    }
    return viewer;
  };
  const edfs = process.env.BENCH_HIVE_EDFS === '1';
  const cached = process.env.BENCH_HIVE_RESPONSE_CACHE === '1';
  let pubsub: unknown;
  if (edfs) {
    const Redis = requireFromPeers('ioredis') as new (url: string) => object;
    const { RedisPubSub } = requireFromPeers('@graphql-hive/pubsub/redis') as {
      RedisPubSub: new (c: { pub: object; sub: object }, o: { channelPrefix: string }) => object;
    };
    // Channels are `<prefix>:<topic>`: prefix "chat" and topic "<chatId>" is the chats subgraph's `chat:<chatId>`.
    pubsub = new RedisPubSub(
      { pub: new Redis(config.REDIS_URL), sub: new Redis(config.REDIS_URL) },
      { channelPrefix: 'chat' },
    );
  }
  const gateway = hive.createGatewayRuntime({
    supergraph: supergraphFor(fs.readFileSync(SUPERGRAPH_PATH, 'utf8'), config),
    logging: process.env.BENCH_HIVE_LOG === '1',
    propagateHeaders: {
      fromClientToSubgraphs: async ({ request, context }) => {
        // Over WebSocket the token is in connection_init (connectionParams), not in the upgrade request.
        const authorization = () => context?.connectionParams?.authorization ?? request?.headers.get('authorization');
        const key: object | undefined = context ?? request;
        const viewer = key
          ? viewerOf(key, authorization)
          : identity.viewerOf(authorization()).then((viewerId) => viewerId ?? '');
        return { [VIEWER_HEADER]: await viewer };
      },
    },
    // The identity header is signed for the exact body of each subgraph request, which only onFetch sees.
    plugins: () => [
      {
        onFetch({ options, setOptions }) {
          const headers = { ...options.headers };
          const viewer = headers[VIEWER_HEADER];
          if (viewer === undefined) return;
          delete headers[VIEWER_HEADER];
          const body = typeof options.body === 'string' ? options.body : '';
          headers[IDENTITY_HEADER] = identity.sign(viewer === '' ? null : viewer, body);
          setOptions({ ...options, headers });
        },
      },
    ],
    ...(edfs ? { pubsub, additionalTypeDefs: EDFS_TYPE_DEFS } : {}),
    ...(cached ? { cache: inMemoryCache(requireFromPeers), responseCaching: responseCaching(config, viewerOf) } : {}),
  });
  const server = http.createServer(gateway);
  server.keepAliveTimeout = 65_000;
  if (edfs) {
    // As the hive-gateway CLI wires it: graphql-ws on the same port and path.
    const { WebSocketServer } = requireFromPeers('ws') as typeof import('ws');
    const { useServer } = requireFromPeers('graphql-ws/use/ws') as {
      useServer: (options: object, server: object) => unknown;
    };
    const { normalizeNodeRequest } = requireFromPeers('@whatwg-node/server') as {
      normalizeNodeRequest: (req: unknown, fetchAPI: unknown) => unknown;
    };
    const wsServer = new WebSocketServer({ path: gateway.graphqlEndpoint, server });
    useServer(
      hive.getGraphQLWSOptions(gateway, (ctx) => ({
        req: ctx.extra.request,
        socket: ctx.extra.socket,
        request: normalizeNodeRequest(ctx.extra.request, gateway.fetchAPI),
      })),
      wsServer,
    );
  }
  await new Promise<void>((resolve) => server.listen(config.GATEWAY_PORT, config.HOST, () => resolve()));
  return {
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.dispose();
    },
  };
}

// SIGTERM, SIGINT, or the bench that started this process going away: stop, like every chatgraph process.
runService('hive-gateway', createLogger('hive-gateway', 'warn'), main);
