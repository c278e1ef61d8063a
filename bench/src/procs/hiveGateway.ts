// Peer: Hive Gateway (JS) from bench/peers, with its defaults, the same supergraph, and only what the subgraphs
// require: the signed identity header (verified once per client request, like the other gateways).
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
          header = identity.viewerOf(authorization).then((viewerId) => identity.sign(viewerId));
          if (key) signed.set(key, header);
        }
        return { [IDENTITY_HEADER]: await header };
      },
    },
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
