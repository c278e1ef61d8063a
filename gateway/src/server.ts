import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import { bearerToken, RevocationFeed, TokenError, type IdentitySigner, type TokenService } from '@chatgraph/auth';
import type { Config } from '@chatgraph/config';
import { createFormatError, userError } from '@chatgraph/errors';
import type { Logger } from '@chatgraph/logging';
import { RedisEventBus } from '@chatgraph/pubsub';
import { SUBGRAPHS } from '@chatgraph/manifest';
import { nodeHttpHandler, RequestLog } from '@chatgraph/service';
import { RevocationList } from './auth/RevocationList';
import { createKeepAliveAgent, SubgraphDataSource, type GatewayContext } from './auth/SubgraphDataSource';
import { operationLimitsPlugin, type OperationLimits } from './limits/operationLimits';
import { SupergraphSource } from './supergraph/SupergraphSource';
import { FederatedSubscriptionEngine } from './subscriptions/FederatedSubscriptionEngine';
import { RedisTopicHub } from './subscriptions/RedisTopicHub';
import type { SupergraphRuntime } from './subscriptions/SupergraphRuntime';
import { LiveSocketServer } from './ws/LiveSocketServer';

/** Dependencies of {@link createGatewayServer}. */
export interface GatewayServerOptions {
  config: Config;
  logger: Logger;
  tokens: TokenService;
  identity: IdentitySigner;
  /** Where the supergraph comes from. @default the committed gateway/supergraph.graphql */
  supergraph?: SupergraphSource;
}

/** A gateway instance, not yet listening. */
export interface GatewayServer {
  httpServer: http.Server;
  engine: FederatedSubscriptionEngine;
  live: LiveSocketServer;
  supergraph: SupergraphSource;
  bus: RedisEventBus;
  /** Ended sessions, kept in step with Redis: their access tokens are refused. */
  revocations: RevocationList;
  /** Loads the supergraph, starts Apollo and listens; resolves with the HTTP URL of /graphql. */
  listen(port: number, host?: string): Promise<string>;
  /** Stops accepting, closes sockets (1001), drains HTTP, stops Apollo, closes Redis. Safe to call twice. */
  close(): Promise<void>;
}

/** Most lexical tokens in one document (the largest SDK operation has a few hundred). */
const MAX_DOCUMENT_TOKENS = 5000;
/** The largest page any paged field of the API serves (`first`/`last`). */
const MAX_PAGE_SIZE = 100;

/** The URL a subgraph is reached at: the config's `<NAME>_URL` when the manifest knows it, else the supergraph's. */
function subgraphUrl(config: Config, name: string, fallback: string | undefined): string {
  const known = SUBGRAPHS.find((s) => s.name === name);
  const url = known ? config[known.graphql.urlKey] : fallback;
  if (!url) throw new Error(`no URL for subgraph ${name}`);
  return url;
}

/**
 * Builds one gateway instance: `/graphql` over HTTP (ApolloGateway on Apollo Server, JWT from `Authorization: Bearer`,
 * identity forwarded to subgraphs in the signed header, CSRF prevention, operation limits) and over WebSocket (live
 * subscriptions through the federated subscription engine), plus `/health` and `/ready`. Instances share nothing but
 * Redis.
 */
export function createGatewayServer(options: GatewayServerOptions): GatewayServer {
  const { config, logger, tokens, identity } = options;
  const agent = createKeepAliveAgent();
  const supergraph =
    options.supergraph ??
    new SupergraphSource({ path: config.SUPERGRAPH_PATH, pollMs: config.SUPERGRAPH_POLL_MS, logger });
  const bus = new RedisEventBus({ url: config.REDIS_URL, logger });
  const hub = new RedisTopicHub(bus.subscriber, logger);
  const revocations = new RevocationList({
    reader: bus.publisher,
    subscriber: bus.subscriber,
    hub,
    // The users service writes them under the same namespace as its databases (DB_NAME_PREFIX).
    keys: RevocationFeed.keys(config.DB_NAME_PREFIX),
    logger,
  });
  const dataSource = (name: string, url: string | undefined) =>
    new SubgraphDataSource({
      name,
      url: subgraphUrl(config, name, url),
      identity,
      agent,
      onUnavailable: (service, detail) => logger.warn({ service, detail }, 'subgraph unavailable'),
    });
  const engine = new FederatedSubscriptionEngine({
    hub,
    logger,
    limits: {
      perConnection: config.SUBSCRIPTIONS_PER_CONNECTION,
      perUser: config.SUBSCRIPTIONS_PER_USER,
      perInstance: config.SUBSCRIPTIONS_PER_INSTANCE,
      queueLimit: config.SUBSCRIBER_QUEUE_LIMIT,
    },
    createServices: (runtime: SupergraphRuntime) =>
      Object.fromEntries([...runtime.subgraphUrls].map(([name, url]) => [name, dataSource(name, url)])),
  });
  const gateway = new ApolloGateway({
    supergraphSdl: supergraph.hook,
    buildService: ({ name, url }) => dataSource(name, url),
    logger,
  });
  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
    try {
      engine.setSupergraph(coreSupergraphSdl);
    } catch (err) {
      logger.error({ err }, 'subscription engine could not load the supergraph');
    }
  });
  const limits: OperationLimits = {
    maxDepth: config.MAX_QUERY_DEPTH,
    maxAliases: config.MAX_QUERY_ALIASES,
    maxCost: config.MAX_QUERY_COST,
    defaultListSize: config.QUERY_DEFAULT_LIST_SIZE,
    maxListSize: MAX_PAGE_SIZE,
  };
  const requestLog = new RequestLog(logger);
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    // runService owns SIGTERM/SIGINT: one orderly shutdown (sockets, HTTP, Apollo, Redis), not two racing ones.
    stopOnTerminationSignals: false,
    csrfPrevention: true,
    introspection: config.INTROSPECTION,
    includeStacktraceInErrorResponses: false,
    // Documents are bounded before validation (tokens); depth, aliases and cost once variables are known.
    parseOptions: { maxTokens: MAX_DOCUMENT_TOKENS },
    plugins: [requestLog.plugin<GatewayContext>(), operationLimitsPlugin(limits)],
    formatError: createFormatError((err) => logger.error({ err }, 'unexpected gateway error')),
  });
  const live = new LiveSocketServer({ engine, tokens, revocations, logger, limits, maxTokens: MAX_DOCUMENT_TOKENS });

  const context = async (req: IncomingMessage): Promise<GatewayContext> => {
    const header = req.headers.authorization;
    if (!header) return { viewerId: null, sessionId: null };
    revocations.assertLoaded();
    try {
      const token = bearerToken(header);
      if (!token) throw new TokenError('malformed');
      const verified = await tokens.verify(token);
      if (revocations.isRevoked(verified)) throw new TokenError('revoked');
      return { viewerId: verified.userId, sessionId: verified.sessionId };
    } catch (err) {
      const gqlError: GraphQLError =
        err instanceof TokenError ? err.toGraphQLError() : userError('UNAUTHENTICATED', 'Invalid token.');
      gqlError.extensions.http = { status: 401 };
      throw gqlError;
    }
  };
  const graphql = nodeHttpHandler(apollo, context, requestLog);
  let started = false;
  let closing = false;

  const httpServer = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') {
      res
        .writeHead(closing ? 503 : 200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: closing ? 'draining' : 'ok' }));
      return;
    }
    if (path === '/ready') {
      const ready =
        started &&
        !closing &&
        engine.apiSchema !== undefined &&
        bus.subscriber.status === 'ready' &&
        revocations.loaded;
      res
        .writeHead(ready ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: ready ? 'ready' : 'unavailable' }));
      return;
    }
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          subscriptions: engine.stats(),
          connections: live.connections,
          publish: bus.stats,
          revocations: revocations.size,
        }),
      );
      return;
    }
    if (path === '/graphql' || path === '/') {
      void graphql(req, res);
      return;
    }
    res
      .writeHead(404, { 'content-type': 'application/json' })
      .end(JSON.stringify({ errors: [{ message: `No route ${path}`, extensions: { code: 'NOT_FOUND' } }] }));
  });
  httpServer.keepAliveTimeout = 65_000;
  httpServer.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '/').split('?')[0];
    if (closing || (path !== '/graphql' && path !== '/')) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    live.handleUpgrade(req, socket, head);
  });

  let closed: Promise<void> | undefined;
  return {
    httpServer,
    engine,
    live,
    supergraph,
    bus,
    revocations,
    async listen(port, host = '127.0.0.1') {
      await Promise.all([apollo.start(), revocations.start()]);
      started = true;
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => resolve());
      });
      const { port: actual } = httpServer.address() as AddressInfo;
      logger.info({ port: actual }, 'gateway listening');
      return `http://${host}:${actual}/graphql`;
    },
    close() {
      closed ??= (async () => {
        closing = true;
        const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()));
        await live.close();
        engine.dispose();
        httpServer.closeIdleConnections();
        const sweep = setInterval(() => httpServer.closeIdleConnections(), 100);
        await stopped.finally(() => clearInterval(sweep));
        if (started) await apollo.stop();
        revocations.stop();
        hub.clear();
        await bus.close();
        agent.destroy();
      })();
      return closed;
    },
  };
}
