import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { DocumentNode } from 'graphql';
import { IDENTITY_HEADER, IdentityError, type IdentitySigner, type Identity } from '@chatgraph/auth';
import { createFormatError } from '@chatgraph/errors';
import { currentRequest, type Logger } from '@chatgraph/logging';
import { ProcessMetrics, RequestMetrics } from '@chatgraph/metrics';
import { nodeHttpHandler, sendJson } from './nodeHttpHandler';
import { withOutageMapping } from './withOutageMapping';
import { createAdminServer, type AdminServer } from './createAdminServer';
import { RequestLog } from './RequestLog';

/** What every subgraph resolver receives in its context, plus the service's own additions. */
export interface BaseSubgraphContext {
  /** Who the gateway says the request acts for. */
  identity: Identity;
  /** Same as `identity.userId`, for brevity. */
  viewerId: string | null;
}

/** Options of {@link createSubgraphServer}. */
export interface SubgraphServerOptions<TContext extends BaseSubgraphContext> {
  name: string;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<TContext>;
  identity: IdentitySigner;
  logger: Logger;
  /** Adds per-request state (DataLoaders, ...) to the verified base context. */
  context: (base: BaseSubgraphContext, req: IncomingMessage) => TContext | Promise<TContext>;
  /** Answers `/ready`: resolve when the service's backing stores answer. */
  ready?: () => Promise<void>;
  introspection?: boolean;
  plugins?: ApolloServerPlugin<TContext>[];
  /**
   * Runs after the operation, before its response is sent (a failure is logged; the response goes out anyway):
   * e.g. `ShardedDatabase.recordWrites` (read-your-writes on replicas across processes).
   */
  beforeResponse?: () => Promise<void>;
  /** The service's own counters for the admin server's `/stats`. */
  stats?: () => Record<string, unknown>;
  /** The process's metrics (the service adds its own to them). @default a new registry named after the service */
  metrics?: ProcessMetrics;
  /**
   * Further HTTP routes by exact path (e.g. links people open from an email), answered without the identity header:
   * each handler checks its own requests. Not for anything a gateway calls.
   */
  routes?: Readonly<Record<string, (req: IncomingMessage, res: ServerResponse) => void>>;
}

/** A subgraph's HTTP server, not yet listening. */
export interface SubgraphServer<TContext extends BaseSubgraphContext = BaseSubgraphContext> {
  apollo: ApolloServer<TContext>;
  httpServer: Server;
  /** The admin server (/health, /ready, /metrics, /stats); its entry point makes it listen on `ADMIN_PORT`. */
  admin: AdminServer;
  /** The process's metrics, served by the admin server's `/metrics`. */
  metrics: ProcessMetrics;
  /** Starts Apollo and listens; resolves with the GraphQL URL. */
  listen(port: number, host?: string): Promise<string>;
  /** Stops accepting, drains in-flight requests, stops Apollo and the admin server. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Builds a Federation 2 subgraph server: `/graphql` (POST, and GET for health of tools), `/health` (liveness) and
 * `/ready` (readiness), and its admin server (the same probes, plus `/metrics` and `/stats`). Every GraphQL request must carry a
 * valid gateway identity header signed for its exact body (for GET: its query string), otherwise it is refused with
 * `UNAUTHENTICATED` and HTTP 401 before the body is parsed. Resolvers are wrapped by {@link withOutageMapping}: an
 * unreachable backing store is `SERVICE_UNAVAILABLE` in every subgraph. Each GraphQL request is logged in one line
 * and measured (RequestLog, RequestMetrics).
 */
export function createSubgraphServer<TContext extends BaseSubgraphContext>(
  options: SubgraphServerOptions<TContext>,
): SubgraphServer<TContext> {
  const { logger } = options;
  // Every subgraph maps an unreachable Postgres or Redis to SERVICE_UNAVAILABLE the same way, in one place.
  const resolvers = withOutageMapping(options.resolvers, options.name);
  const metrics = options.metrics ?? new ProcessMetrics(options.name);
  // Subgraph operations are the gateway's generated fetches: their names are not a bounded set, only their types are.
  const requestLog = new RequestLog(logger, new RequestMetrics(metrics));
  const beforeResponse = options.beforeResponse;
  const beforeResponsePlugin: ApolloServerPlugin<TContext> = {
    async requestDidStart() {
      return {
        async willSendResponse() {
          await beforeResponse?.().catch((err: unknown) =>
            logger.warn({ err }, 'could not record where this request wrote (its next reads may be stale)'),
          );
        },
      };
    },
  };
  const schema = buildSubgraphSchema([
    { typeDefs: options.typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> },
  ]);
  const apollo = new ApolloServer<TContext>({
    schema,
    introspection: options.introspection ?? true,
    includeStacktraceInErrorResponses: false,
    // Apollo's own messages go to the service's structured log (and its level), not to the console.
    logger,
    csrfPrevention: true,
    // runService owns SIGTERM/SIGINT; Apollo's own handler would race it and re-raise the signal.
    stopOnTerminationSignals: false,
    formatError: createFormatError((err) => logger.error({ err }, 'unexpected error in resolver')),
    // Federated tracing (ftv1) is only for Apollo's hosted reporting, which chatgraph does not use.
    plugins: [
      ApolloServerPluginInlineTraceDisabled(),
      requestLog.plugin<TContext>(),
      ...(beforeResponse ? [beforeResponsePlugin] : []),
      ...(options.plugins ?? []),
    ],
  });
  let closing = false;

  /**
   * Verifies the identity header against the raw bytes of the request, before anything is parsed: a missing, forged,
   * stale header, or one signed for another body, is a 401.
   */
  const authenticate = (req: IncomingMessage, bytes: Buffer): Identity => {
    try {
      const header = req.headers[IDENTITY_HEADER];
      return options.identity.verify(Array.isArray(header) ? header[0] : header, bytes);
    } catch (err) {
      if (err instanceof IdentityError) {
        const gqlError = err.toGraphQLError();
        gqlError.extensions.http = { status: 401 };
        throw gqlError;
      }
      throw err;
    }
  };
  const context = async (req: IncomingMessage, identity: Identity): Promise<TContext> => {
    // Read-your-writes on database replicas follows the viewer of the request (see @chatgraph/db's ReplicaReads).
    const scope = currentRequest();
    if (scope) scope.viewerId = identity.userId;
    return options.context({ identity, viewerId: identity.userId }, req);
  };
  const graphql = nodeHttpHandler(apollo, context, requestLog, authenticate);
  const ready = options.ready ?? (async () => {});
  const admin = createAdminServer({
    name: options.name,
    logger,
    probes: {
      live: () => !closing,
      ready: async () => !closing && (await ready().then(() => true)),
      stats: () => options.stats?.() ?? {},
    },
    metrics,
  });

  const httpServer = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') {
      sendJson(res, closing ? 503 : 200, { status: closing ? 'draining' : 'ok', service: options.name });
      return;
    }
    if (path === '/ready') {
      if (closing) return sendJson(res, 503, { status: 'draining' });
      ready().then(
        () => sendJson(res, 200, { status: 'ready', service: options.name }),
        (err: unknown) => {
          logger.warn({ err }, 'readiness check failed');
          sendJson(res, 503, { status: 'unavailable', service: options.name });
        },
      );
      return;
    }
    if (path === '/graphql' || path === '/') {
      void graphql(req, res);
      return;
    }
    const route = options.routes?.[path];
    if (route) {
      route(req, res);
      return;
    }
    sendJson(res, 404, { errors: [{ message: `No route ${path}`, extensions: { code: 'NOT_FOUND' } }] });
  });
  httpServer.keepAliveTimeout = 65_000;

  let closed: Promise<void> | undefined;
  return {
    apollo,
    httpServer,
    admin,
    metrics,
    async listen(port, host = '127.0.0.1') {
      await apollo.start();
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => resolve());
      });
      const addr = httpServer.address() as AddressInfo;
      logger.info({ port: addr.port }, `${options.name} subgraph listening`);
      return `http://${host}:${addr.port}/graphql`;
    },
    close() {
      closed ??= (async () => {
        closing = true;
        // Stop accepting; idle keep-alive sockets are closed now, busy ones after their response is written.
        const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()));
        httpServer.closeIdleConnections();
        const idleSweep = setInterval(() => httpServer.closeIdleConnections(), 100);
        await stopped.finally(() => clearInterval(idleSweep));
        await apollo.stop();
        await admin.close();
      })();
      return closed;
    },
  };
}
