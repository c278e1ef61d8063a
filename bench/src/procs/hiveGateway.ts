// Peer: Hive Gateway (JS) from bench/peers, with its defaults, the same supergraph, and only what the subgraphs
// require: the identity header (the token verified once per client request, like the other gateways; the header
// signed per subgraph request for its body).
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
 * Hive Gateway's event-driven federated subscriptions (EDFS) on the same Redis channels the chats subgraph publishes
 * to: a gateway-side field resolved from the pub/sub topic, the rest of the selection from the subgraphs.
 */
const EDFS_TYPE_DEFS = `
  extend type Subscription {
    chatEventsEdfs(chatId: ID!): ChatEvent! @resolveTo(pubsubTopic: "{args.chatId}", sourceName: "chats")
    chatMessagesEdfs(chatId: ID!): Message @resolveTo(pubsubTopic: "{args.chatId}", sourceName: "chats", result: "message")
  }
`;

async function main(): Promise<RunningService> {
  const identity = peerIdentity();
  const { config } = identity;
  const requireFromPeers = createRequire(path.join(PEERS_DIR, 'package.json'));
  const hive = requireFromPeers('@graphql-hive/gateway') as HiveGatewayModule;
  const signed = new WeakMap<object, Promise<string>>();
  const edfs = process.env.BENCH_HIVE_EDFS === '1';
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
        const key: object | undefined = context ?? request;
        let header = key ? signed.get(key) : undefined;
        if (!header) {
          // Over WebSocket the token is in connection_init (connectionParams), not in the upgrade request.
          const authorization = context?.connectionParams?.authorization ?? request?.headers.get('authorization');
          header = identity.viewerOf(authorization).then((viewerId) => viewerId ?? '');
          if (key) signed.set(key, header);
        }
        return { [VIEWER_HEADER]: await header };
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
