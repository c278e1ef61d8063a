// Over 350 lines: one function wires every part of a gateway instance (each part is its own module), and reads best whole.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, type HTTPGraphQLRequest } from '@apollo/server';
import {
  identitySignerFromConfig,
  RevocationFeed,
  tokenServiceFromConfig,
  type IdentitySigner,
  type TokenService,
} from '@chatgraph/auth';
import { adminPortFor, replicaUrls, type Config } from '@chatgraph/config';
import { createFormatError } from '@chatgraph/errors';
import type { Logger } from '@chatgraph/logging';
import { isCluster, RedisEventBus, redisLocation } from '@chatgraph/pubsub';
import { startTelemetry } from '@chatgraph/telemetry';
import { SUBGRAPHS } from '@chatgraph/manifest';
import { RateLimits } from '@chatgraph/ratelimit';
import {
  createAdminServer,
  nodeHttpHandler,
  RequestLog,
  runService,
  SubgraphClient,
  type AdminServer,
} from '@chatgraph/service';
import { ApiTokenVerifier } from './auth/ApiTokenVerifier';
import { Authenticator } from './auth/Authenticator';
import { requestContext } from './auth/requestContext';
import { scopesPlugin } from './scopes/scopesPlugin';
import { ClientAddresses } from './auth/ClientAddresses';
import { RevocationList } from './auth/RevocationList';
import { createSubgraphDispatcher, SubgraphDataSource, type GatewayContext } from './auth/SubgraphDataSource';
import { SharedFetches } from './upstream/SharedFetches';
import { CACHEABLE_ENTITIES } from './cache/cacheableEntities';
import { EntityCache } from './cache/EntityCache';
import { EntityCachingDataSource } from './cache/EntityCachingDataSource';
import { VIEWER_ONLY_FIELDS, ViewerOnlyFieldsDataSource } from './cache/ViewerOnlyFieldsDataSource';
import { EntityInvalidations } from './cache/EntityInvalidations';
import { ConnectionLimits } from './limits/ConnectionLimits';
import { operationLimitsPlugin, type OperationLimits } from './limits/operationLimits';
import { SupergraphSource } from './supergraph/SupergraphSource';
import { withOwnExecution } from './execution/withOwnExecution';
import { FederatedSubscriptionEngine } from './subscriptions/FederatedSubscriptionEngine';
import { RedisTopicHub } from './subscriptions/RedisTopicHub';
import type { SupergraphRuntime } from './subscriptions/SupergraphRuntime';
import { Upstreams } from './upstream/Upstreams';
import { LiveSocketServer } from './ws/LiveSocketServer';
import { CorsPolicy } from './http/CorsPolicy';
import { DirectLane } from './http/DirectLane';
import { GatewayMetrics } from './metrics/GatewayMetrics';
import { subscriptionsOverHttpPlugin } from './http/subscriptionsOverHttpPlugin';
import { operationNames, TrustedDocuments, type DocumentSource } from './trusted/TrustedDocuments';

/** Dependencies of {@link createGatewayServer}. */
export interface GatewayServerOptions {
  config: Config;
  logger: Logger;
  tokens: TokenService;
  identity: IdentitySigner;
  /** Where the supergraph comes from. @default the committed gateway/supergraph.graphql */
  supergraph?: SupergraphSource;
  /** WebSocket connection limits. @default RateLimits.fromConfig(config), closed with the gateway */
  limits?: RateLimits;
}

/** A gateway instance, not yet listening. */
export interface GatewayServer {
  httpServer: http.Server;
  engine: FederatedSubscriptionEngine;
  live: LiveSocketServer;
  supergraph: SupergraphSource;
  bus: RedisEventBus;
  /** The admin server (/health, /ready, /metrics, /stats); its entry point makes it listen on `ADMIN_PORT`. */
  admin: AdminServer;
  /** The gateway's metrics (served by the admin server's `/metrics`). */
  metrics: GatewayMetrics;
  /** Ended sessions, kept in step with Redis: their access tokens are refused. */
  revocations: RevocationList;
  /** Loads the supergraph, starts Apollo and listens; resolves with the HTTP URL of /graphql. */
  listen(port: number, host?: string): Promise<string>;
  /**
   * Stops accepting, closes sockets (1001), drains HTTP, stops Apollo and the admin server, closes Redis. Safe to call
   * twice.
   */
  close(): Promise<void>;
}

/** Most lexical tokens in one document (the largest SDK operation has a few hundred). */
const MAX_DOCUMENT_TOKENS = 5000;
/** The largest page any paged field of the API serves (`first`/`last`). */
const MAX_PAGE_SIZE = 100;

/**
 * The replica URLs of a subgraph: the config's `<NAME>_URL` (comma-separated) when the manifest knows it, else the
 * supergraph's URL.
 */
function subgraphReplicas(config: Config, name: string, fallback: string | undefined): string[] {
  const known = SUBGRAPHS.find((s) => s.name === name);
  const url = known ? config[known.graphql.urlKey] : fallback;
  if (!url) throw new Error(`no URL for subgraph ${name}`);
  return replicaUrls(url);
}

/** The document of an HTTP request as Apollo will read it: the JSON body of a POST, the query string of a GET. */
function documentSource(request: HTTPGraphQLRequest): DocumentSource {
  if (request.method === 'GET') {
    const params = new URLSearchParams(request.search);
    return { query: params.get('query') ?? undefined };
  }
  const body = request.body;
  return typeof body === 'object' && body !== null ? (body as DocumentSource) : {};
}

/**
 * Builds one gateway instance: `/graphql` over HTTP (ApolloGateway on Apollo Server, JWT from `Authorization: Bearer`,
 * identity forwarded to subgraphs in the signed header, CSRF prevention, operation limits) and over WebSocket (live
 * subscriptions through the federated subscription engine), plus `/health` and `/ready`; `/metrics` (Prometheus) and
 * `/stats` (JSON) are on the admin server only. Browser origins are checked by {@link CorsPolicy} (HTTP and WebSocket upgrades), documents by
 * {@link TrustedDocuments}. Instances share nothing but Redis.
 */
export function createGatewayServer(options: GatewayServerOptions): GatewayServer {
  const { config, logger, tokens, identity } = options;
  const trusted = TrustedDocuments.load(config.TRUSTED_DOCUMENTS, config.TRUSTED_DOCUMENTS_PATH);
  // Operation names label the request metrics only when they are the SDK's: a bounded set whatever clients send.
  const metrics = new GatewayMetrics(operationNames(config.TRUSTED_DOCUMENTS_PATH));
  const dispatcher = createSubgraphDispatcher(config.SUBGRAPH_TIMEOUT_MS);
  const supergraph =
    options.supergraph ??
    new SupergraphSource({ path: config.SUPERGRAPH_PATH, pollMs: config.SUPERGRAPH_POLL_MS, logger });
  // The gateway's Redis commands do not auto-pipeline (`createRedis`): they are few and spread out (connection and
  // subscribe limits, reads at start), and side by side in the fan-out bench the gateway kept 2–3 KB more resident
  // memory per idle subscription with it (heap the same). Its subscriber connection never does.
  const bus = new RedisEventBus({ ...redisLocation(config), logger, autoPipelining: false });
  const hub = new RedisTopicHub(bus.channels, logger);
  // Identical queries in flight share one subgraph request, never across a write this gateway knows of: a mutation it
  // sent, a message it received (events and entity changes are published after their commit), or the loss or return
  // of its Redis link (what was missed meanwhile is read again: the entity cache flushes, subscriptions repair).
  const sharedFetches = config.SUBGRAPH_FETCH_SHARING ? new SharedFetches() : undefined;
  if (sharedFetches) {
    bus.channels.onMessage(sharedFetches.written);
    bus.channels.onLost(sharedFetches.written);
    bus.channels.onResubscribed(sharedFetches.written);
  }
  const upstreams = new Upstreams(
    {
      strategy: config.SUBGRAPH_BALANCING,
      breaker: { failures: config.BREAKER_FAILURES, halfOpenAfterMs: config.BREAKER_HALF_OPEN_MS },
      timeoutMs: config.SUBGRAPH_TIMEOUT_MS,
      maxConcurrent: config.SUBGRAPH_MAX_CONCURRENT,
      maxQueued: config.SUBGRAPH_MAX_QUEUED,
      dispatcher,
    },
    (name, fallback) => subgraphReplicas(config, name, fallback),
  );
  const revocations = new RevocationList({
    reader: bus.publisher,
    subscriber: bus.channels,
    hub,
    // The users service writes them under the same namespace as its databases (DB_NAME_PREFIX).
    keys: RevocationFeed.keys(config.DB_NAME_PREFIX, isCluster(bus.publisher)),
    logger,
  });
  // Public entity fields (user profiles) served from memory for query plans and live executions alike, forgotten when
  // their subgraph announces a change; off with ENTITY_CACHE_MAX=0.
  const entityCache =
    config.ENTITY_CACHE_MAX > 0
      ? new EntityCache({ max: config.ENTITY_CACHE_MAX, ttlMs: config.ENTITY_CACHE_TTL_MS })
      : undefined;
  const invalidations = entityCache
    ? new EntityInvalidations(
        bus.channels,
        (listener) => hub.onResubscribed(listener),
        entityCache,
        config.DB_NAME_PREFIX,
        logger,
      )
    : undefined;
  const dataSource = (name: string, url: string | undefined) => {
    const source = new SubgraphDataSource({
      name,
      upstream: upstreams.get(name, url),
      identity,
      shared: sharedFetches,
      onUnavailable: (service, detail) => logger.warn({ service, detail }, 'subgraph unavailable'),
      onFetch: (service, seconds, outcome) => metrics.observeFetch(service, seconds, outcome),
    });
    const cacheable = CACHEABLE_ENTITIES[name];
    const viewerOnly = VIEWER_ONLY_FIELDS[name];
    // Fetches that would only get nulls back (no viewer, viewer-only fields) are answered here.
    const served = viewerOnly ? new ViewerOnlyFieldsDataSource(source, viewerOnly) : source;
    return entityCache && cacheable ? new EntityCachingDataSource(served, entityCache, cacheable) : served;
  };
  const engine = new FederatedSubscriptionEngine({
    hub,
    logger,
    limits: {
      perConnection: config.SUBSCRIPTIONS_PER_CONNECTION,
      perUser: config.SUBSCRIPTIONS_PER_USER,
      perInstance: config.SUBSCRIPTIONS_PER_INSTANCE,
      queueLimit: config.SUBSCRIBER_QUEUE_LIMIT,
    },
    reorderWindowMs: config.LIVE_REORDER_WINDOW_MS,
    executionConcurrency: config.LIVE_GROUP_CONCURRENCY,
    createServices: (runtime: SupergraphRuntime) =>
      Object.fromEntries([...runtime.subgraphUrls].map(([name, url]) => [name, dataSource(name, url)])),
    onDelivered: (committedAt, subscribers) => metrics.observeDelivery(committedAt, subscribers),
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
  const requestLog = new RequestLog(logger, metrics.requests);
  const formatError = createFormatError((err) => logger.error({ err }, 'unexpected gateway error'));
  // Operations Apollo Server has validated once are served again without its pipeline (DIRECT_EXECUTION).
  const direct = config.DIRECT_EXECUTION
    ? new DirectLane({ requests: engine.requests, limits, formatError, requestLog, logger })
    : undefined;
  if (direct) gateway.onSchemaLoadOrUpdate(({ apiSchema }) => direct.schemaChanged(apiSchema));
  const cors = new CorsPolicy({ origins: config.CORS_ORIGINS, credentials: config.CORS_CREDENTIALS });
  const apollo = new ApolloServer<GatewayContext>({
    // ApolloGateway loads and watches the supergraph; operations run on the engine's executor (plans cached whole).
    gateway: withOwnExecution(gateway, engine.executeRequest),
    // runService owns SIGTERM/SIGINT: one orderly shutdown (sockets, HTTP, Apollo, Redis), not two racing ones.
    stopOnTerminationSignals: false,
    csrfPrevention: true,
    introspection: config.INTROSPECTION,
    // Without introspection, "Did you mean …?" would reveal the schema one guess at a time.
    hideSchemaDetailsFromClientErrors: !config.INTROSPECTION,
    // The manifest answers hash-only requests (read-only); off, Apollo's own in-memory persisted queries.
    persistedQueries: trusted.mode === 'off' ? undefined : { cache: trusted.apqCache() },
    includeStacktraceInErrorResponses: false,
    // Documents are bounded before validation (tokens); depth, aliases and cost once variables are known.
    parseOptions: { maxTokens: MAX_DOCUMENT_TOKENS },
    plugins: [
      requestLog.plugin<GatewayContext>(),
      operationLimitsPlugin(limits),
      scopesPlugin(),
      subscriptionsOverHttpPlugin(),
      ...(direct ? [direct.plugin()] : []),
    ],
    formatError,
  });
  const rateLimits = options.limits ?? RateLimits.fromConfig(config, logger, { autoPipelining: false });
  const addresses = new ClientAddresses(config.TRUSTED_PROXIES);
  const connections = new ConnectionLimits(rateLimits, addresses, logger);
  const apiTokens = new ApiTokenVerifier({
    users: new SubgraphClient({
      name: 'users',
      urls: subgraphReplicas(config, 'users', undefined),
      identity,
      timeoutMs: config.SUBGRAPH_TIMEOUT_MS,
    }),
    cacheMs: config.API_TOKEN_CACHE_MS,
  });
  const auth = new Authenticator({ tokens, apiTokens, revocations, perApiToken: rateLimits.apiTokens });
  const live = new LiveSocketServer({
    engine,
    auth,
    revocations,
    logger,
    limits,
    maxTokens: MAX_DOCUMENT_TOKENS,
    admitUser: connections.admitUser,
    trusted,
    hideSuggestions: !config.INTROSPECTION,
  });

  const context = requestContext({ auth, revocations, addresses });
  const graphql = nodeHttpHandler(
    apollo,
    context,
    requestLog,
    undefined,
    (request) => trusted.refusal(documentSource(request)),
    direct?.handle,
  );
  let started = false;
  let closing = false;
  const isReady = () =>
    started && !closing && engine.apiSchema !== undefined && bus.channels.ready && revocations.loaded;
  const admin = createAdminServer({
    name: 'gateway',
    logger,
    probes: {
      live: () => !closing,
      ready: async () => isReady(),
      stats: () => ({
        subscriptions: engine.stats(),
        connections: live.connections,
        publish: bus.stats,
        entityCache: entityCache?.snapshot() ?? null,
        breakers: upstreams.states(),
        rateLimits: rateLimits.store.stats,
        revocations: revocations.size,
        apiTokens: apiTokens.size,
        directLane: direct?.stats() ?? null,
        fetchSharing: sharedFetches?.stats() ?? null,
      }),
    },
    metrics: metrics.process,
  });
  metrics.watch({
    engine,
    connections: () => live.connections,
    breakers: () => upstreams.states(),
    entityCache: () => entityCache?.snapshot() ?? null,
    fetchSharing: () => sharedFetches?.stats() ?? null,
  });

  const route = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') {
      res
        .writeHead(closing ? 503 : 200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: closing ? 'draining' : 'ok' }));
      return;
    }
    if (path === '/ready') {
      const ready = isReady();
      res
        .writeHead(ready ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: ready ? 'ready' : 'unavailable' }));
      return;
    }
    if (path === '/graphql' || path === '/') {
      void graphql(req, res);
      return;
    }
    res
      .writeHead(404, { 'content-type': 'application/json' })
      .end(JSON.stringify({ errors: [{ message: `No route ${path}`, extensions: { code: 'NOT_FOUND' } }] }));
  };
  // CORS first: a preflight is answered here, before Apollo's CSRF check (which stays on for everything else).
  const httpServer = http.createServer((req, res) => {
    void cors.handle(req, res).then((answered) => answered || route(req, res));
  });
  httpServer.keepAliveTimeout = 65_000;
  httpServer.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '/').split('?')[0];
    if (closing || (path !== '/graphql' && path !== '/')) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    // Browsers do not preflight WebSockets: a page of another origin is refused here (cross-site WebSocket hijacking).
    if (!cors.allowsUpgrade(req)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    connections.admitUpgrade(req, socket).then(
      (admitted) => {
        if (admitted && !closing) live.handleUpgrade(req, socket, head);
        else if (admitted) socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      },
      (err: unknown) => {
        logger.error({ err }, 'websocket upgrade failed');
        socket.destroy();
      },
    );
  });

  let closed: Promise<void> | undefined;
  return {
    httpServer,
    engine,
    live,
    supergraph,
    bus,
    admin,
    metrics,
    revocations,
    async listen(port, host = '127.0.0.1') {
      await Promise.all([apollo.start(), revocations.start()]);
      // Not awaited: with Redis down the gateway serves, uncached, and the cache starts once Redis answers.
      void invalidations?.start().catch((err: Error) => logger.warn({ err: err.message }, 'entity cache stays off'));
      await rateLimits.store.connected();
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
        await admin.close();
        revocations.stop();
        hub.clear();
        await invalidations?.stop();
        await bus.close();
        if (!options.limits) await rateLimits.close();
        await dispatcher.destroy();
      })();
      return closed;
    },
  };
}

/**
 * Runs a gateway as its own process (what `gateway/src/index.ts` does, and the bench's instrumented copy): builds it
 * from the configuration, starts tracing (`OTEL_*`), listens on `GATEWAY_PORT` and its admin server on `ADMIN_PORT`, reloads the supergraph on SIGHUP (live subscriptions resume with
 * `afterSeq`) and shuts down cleanly on SIGTERM.
 */
export function runGateway(config: Config, logger: Logger): void {
  startTelemetry('gateway', config);
  runService(
    'gateway',
    logger,
    async () => {
      const server = createGatewayServer({
        config,
        logger,
        tokens: tokenServiceFromConfig(config),
        identity: identitySignerFromConfig(config),
      });
      process.on('SIGHUP', () => server.supergraph.reload());
      await server.listen(config.GATEWAY_PORT, config.HOST);
      await server.admin.listen(adminPortFor(config, config.GATEWAY_PORT), config.ADMIN_HOST);
      return server;
    },
    config.SHUTDOWN_GRACE_MS,
  );
}
