// Over 350 lines: the graphql-ws callbacks (connect, subscribe, close) share the per-socket state and read best together.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLSchema,
} from 'graphql';
import { handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { bearerToken, TokenError, type TokenScope } from '@chatgraph/auth';
import { LiveCloseCodes, TOKEN_EXPIRED_REASON, userError } from '@chatgraph/errors';
import { rateLimited } from '@chatgraph/ratelimit';
import { scopesOf, type Authenticator, type Principal } from '../auth/Authenticator';
import { checkScopes } from '../scopes/checkScopes';
import type { Logger } from '@chatgraph/logging';
import type { RevocationList } from '../auth/RevocationList';
import type { FederatedSubscriptionEngine } from '../subscriptions/FederatedSubscriptionEngine';
import type { LiveIterator } from '../subscriptions/LiveSubscriber';
import { checkOperationLimits, type OperationLimits } from '../limits/operationLimits';
import { corkUntilNextTurn } from './corkUntilNextTurn';
import { DirectNextWriter } from './DirectNextWriter';
import { KeepAliveSweep } from './KeepAliveSweep';
import { PayloadSplicer } from './PayloadSplicer';
import type { TrustedDocuments } from '../trusted/TrustedDocuments';
import { withoutSuggestions } from '../http/withoutSuggestions';
import { SessionSockets, type TrackedConnection } from './SessionSockets';
import { TokenExpiry } from './TokenExpiry';

/** Options of {@link LiveSocketServer}. */
export interface LiveSocketServerOptions {
  engine: FederatedSubscriptionEngine;
  /** Verifies the credential of `connection_init` (access token or API token) and counts API tokens' requests. */
  auth: Authenticator;
  /** Ended sessions: their tokens are refused at connect, and their open connections closed (SessionRevoked). */
  revocations: RevocationList;
  logger: Logger;
  /** Ping interval; a socket that does not answer a ping within it is dropped. @default 12000 */
  keepAliveMs?: number;
  /** Time a client has to send `connection_init`. @default 3000 */
  connectionInitWaitMs?: number;
  /** Depth, alias and cost limits of subscription operations (the same as HTTP's). */
  limits: OperationLimits;
  /** Most lexical tokens in one document. @default 5000 */
  maxTokens?: number;
  /** Largest accepted frame. @default 65536 */
  maxPayloadBytes?: number;
  /** Injected clock (token expiry). @default Date.now */
  now?: () => number;
  /** Counts a new connection of a user at `connection_init`; a refusal closes it with `RateLimited`. */
  admitUser?: (userId: string) => Promise<{ allowed: true } | { allowed: false; retryAfterMs: number }>;
  /** Which documents may run, and those sent by hash only. @default any document, sent in full */
  trusted?: TrustedDocuments;
  /** Drop "Did you mean …?" from validation errors (introspection off). @default false */
  hideSuggestions?: boolean;
}

/** What the gateway keeps per socket. The object itself is the connection the engine counts quotas against. */
interface SocketExtra {
  socket: WebSocket;
  /** The user whose token `connection_init` carried; unset until it was accepted. */
  viewerId?: string;
  /** The credential accepted at `connection_init`. */
  principal?: Principal;
  /** The scopes of an API token's connection; undefined for a session (every scope). */
  scopes?: TokenScope[];
  /** The socket's entry in {@link SessionSockets}. */
  tracked?: TrackedConnection<WebSocket>;
  /** When the token expires (ms since the epoch), for {@link TokenExpiry}; unset for a token that does not. */
  expiresAtMs?: number;
  /**
   * Every iterator started on this socket, ended when it closes: the one, or a Set from the second on (most sockets
   * carry one subscription, and this lives as long as the socket).
   */
  iterators?: LiveIterator | Set<LiveIterator>;
}

/** A query that parsed and validated, with the text it was parsed from (the copy the cache keeps). */
interface ParsedQuery {
  text: string;
  document: DocumentNode;
}

/** Context graphql-ws hands to our `subscribe`: the iterator the engine already started. */
interface LiveExecutionContext {
  iterator: LiveIterator;
}

const MAX_CACHED_DOCUMENTS = 500;

/**
 * The WebSocket side of `/graphql` (graphql-ws protocol, `graphql-transport-ws`): token in `connection_init`
 * (`{ authorization: "Bearer <jwt or cgt_ API token>" }`), refused with 4401 when missing or invalid; an API token's
 * subscriptions are held to its scopes and rate limit; subscriptions run on the
 * {@link FederatedSubscriptionEngine}; the socket is closed with 4401 when the token expires and with 1001 on
 * shutdown. Garbage frames close the socket with 4400; nothing a client sends can crash the process.
 */
export class LiveSocketServer {
  private readonly wss: WebSocketServer;
  private readonly documents = new WeakMap<GraphQLSchema, Map<string, ParsedQuery | readonly GraphQLError[]>>();
  private readonly splicer = new PayloadSplicer();
  private readonly sessions: SessionSockets<WebSocket>;
  private readonly expiry: TokenExpiry<WebSocket>;
  private readonly now: () => number;
  private readonly keepAlive: KeepAliveSweep;

  constructor(private readonly options: LiveSocketServerOptions) {
    this.now = options.now ?? Date.now;
    const { logger } = options;
    this.onSocketError = function onSocketError(this: WebSocket, err: Error) {
      logger.debug({ err: err.message }, 'websocket error');
      this.close(LiveCloseCodes.BadRequest.code, 'Bad request');
    };
    this.sessions = new SessionSockets<WebSocket>(options.revocations, (socket, token) =>
      socket.close(LiveCloseCodes.SessionRevoked.code, 'tokenId' in token ? 'API token revoked' : 'Session revoked'),
    );
    this.expiry = new TokenExpiry<WebSocket>(
      (socket) => socket.close(LiveCloseCodes.Unauthorized.code, TOKEN_EXPIRED_REASON),
      this.now,
    );
    this.wss = new WebSocketServer({ noServer: true, handleProtocols, maxPayload: options.maxPayloadBytes ?? 65_536 });
    const server = makeServer<Record<string, unknown> | undefined, SocketExtra>(this.serverOptions());
    this.wss.on('connection', (socket: WebSocket) => this.onConnection(server, socket));
    this.keepAlive = new KeepAliveSweep(this.wss.clients, options.keepAliveMs ?? 12_000);
  }

  /** A socket's 'error' listener, shared by every socket (called with the socket as `this`). */
  private readonly onSocketError: (this: WebSocket, err: Error) => void;

  /** Open sockets. */
  get connections(): number {
    return this.wss.clients.size;
  }

  /** Hands an HTTP upgrade request for `/graphql` to the WebSocket server. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(request, socket, head, (ws) => this.wss.emit('connection', ws, request));
  }

  /** Closes every socket with 1001 (clients reconnect elsewhere and resume) and stops the server. */
  async close(): Promise<void> {
    this.keepAlive.stop();
    this.expiry.stop();
    for (const client of this.wss.clients) client.close(LiveCloseCodes.GoingAway.code, 'Gateway shutting down');
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    for (const client of this.wss.clients) client.terminate();
  }

  private serverOptions(): ServerOptions<Record<string, unknown> | undefined, SocketExtra> {
    const { engine, auth, logger } = this.options;
    return {
      connectionInitWaitTimeout: this.options.connectionInitWaitMs ?? 3000,
      jsonMessageReplacer: this.splicer.replacer,
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const raw =
          typeof params.authorization === 'string'
            ? bearerToken(params.authorization)
            : typeof params.token === 'string'
              ? params.token
              : undefined;
        const { socket } = ctx.extra;
        if (!this.options.revocations.loaded) {
          socket.close(LiveCloseCodes.InternalServerError.code, 'Session revocations not loaded yet; retry');
          return false;
        }
        try {
          const verified = await auth.authenticate(raw);
          // the socket may have closed while the token was checked: set up nothing for it
          if (socket.readyState !== socket.OPEN) return false;
          const admitted = (await this.options.admitUser?.(verified.userId)) ?? { allowed: true };
          if (!admitted.allowed) {
            socket.close(LiveCloseCodes.RateLimited.code, `Rate limited: retry after ${admitted.retryAfterMs} ms`);
            return false;
          }
          // ...or while the user was admitted: its close has run already, and would never undo what follows.
          if (socket.readyState !== socket.OPEN) return false;
          // graphql-ws keeps connection_init's payload for the connection's life; nothing reads it after this.
          Reflect.deleteProperty(ctx, 'connectionParams');
          ctx.extra.viewerId = verified.userId;
          ctx.extra.principal = verified;
          ctx.extra.scopes = scopesOf(verified);
          ctx.extra.tracked = this.sessions.track(verified, socket);
          if (verified.expiresAt !== null) {
            ctx.extra.expiresAtMs = verified.expiresAt.getTime();
            this.expiry.watch(socket, ctx.extra.expiresAtMs);
          }
          return true;
        } catch (err) {
          if (!(err instanceof TokenError) && socket.readyState === socket.OPEN) {
            // The users service could not verify an API token: a failure to retry, not a refused credential.
            socket.close(LiveCloseCodes.InternalServerError.code, 'Could not verify the token; retry');
            return false;
          }
          const reason = err instanceof TokenError ? err.reason : 'invalid';
          socket.close(
            LiveCloseCodes.Unauthorized.code,
            reason === 'expired' ? TOKEN_EXPIRED_REASON : `Unauthorized: ${reason} token`,
          );
          return false;
        }
      },
      onClose: (ctx) => {
        const { extra } = ctx;
        if (extra.expiresAtMs !== undefined) this.expiry.forget(extra.socket, extra.expiresAtMs);
        if (extra.tracked) this.sessions.forget(extra.tracked);
        // graphql-ws forgets an iterator in some paths (a reused id, an operation it cannot identify); end them all.
        const { iterators } = extra;
        if (iterators instanceof Set) for (const iterator of iterators) void iterator.return?.();
        else if (iterators) void iterators.return?.();
      },
      onSubscribe: async (ctx, _id, payload) => {
        const viewerId = ctx.extra.viewerId;
        if (!viewerId) return [userError('UNAUTHENTICATED', 'Send a valid token in connection_init first.')];
        const schema = engine.apiSchema;
        if (!schema)
          return [userError('SERVICE_UNAVAILABLE', 'The gateway has not loaded its schema yet; retry shortly.')];
        const query = this.options.trusted ? this.options.trusted.resolve(payload) : payload.query;
        if (isErrorList(query)) return [...query];
        if (typeof query !== 'string')
          return [userError('BAD_USER_INPUT', 'The subscribe message needs a query string.')];
        const parsed = this.document(query, schema);
        if (isErrorList(parsed)) return [...parsed];
        const doc = parsed.document;
        // graphql-ws keeps the subscribe message for as long as the subscription runs: its query text becomes the copy
        // the document cache keeps, so the subscriptions of a common query share one string instead of one each.
        if (payload.query === query) (payload as { query: string }).query = parsed.text;
        const operations = doc.definitions.filter((d) => d.kind === 'OperationDefinition');
        const operation = payload.operationName
          ? operations.find((o) => o.kind === 'OperationDefinition' && o.name?.value === payload.operationName)
          : operations.length === 1
            ? operations[0]
            : undefined;
        if (!operation || operation.kind !== 'OperationDefinition')
          return [userError('BAD_USER_INPUT', 'The document has no operation of that name.')];
        if (operation.operation !== 'subscription')
          return [
            userError(
              'BAD_USER_INPUT',
              'Only subscriptions run over WebSocket; send queries and mutations to POST /graphql.',
            ),
          ];
        const tooComplex = checkOperationLimits(schema, doc, operation, payload.variables, this.options.limits);
        if (tooComplex) return [tooComplex];
        const outOfScope = checkScopes(schema, doc, operation, ctx.extra.scopes);
        if (outOfScope) return [outOfScope];
        if (ctx.extra.principal) {
          const admitted = await auth.admit(ctx.extra.principal);
          if (!admitted.allowed) return [rateLimited('requests with this API token', admitted.retryAfterMs)];
        }
        // graphql-ws treats "" as a name it cannot find; so do we.
        const operationName = payload.operationName || undefined;
        const result = await engine.subscribe({
          document: doc,
          operationName,
          variables: payload.variables,
          connection: ctx.extra,
          viewerId,
        });
        if (isErrorList(result)) return [...result];
        const iterator = result;
        if (ctx.extra.socket.readyState !== ctx.extra.socket.OPEN) {
          void iterator.return?.();
          return [userError('BAD_USER_INPUT', 'The connection closed.')];
        }
        ctx.extra.iterators = withIterator(ctx.extra.iterators, iterator);
        const args: ExecutionArgs = { schema, document: doc, operationName, variableValues: payload.variables };
        const context: LiveExecutionContext = { iterator };
        return { ...args, contextValue: context };
      },
      // The iterator yields pre-serialized results, not ExecutionResults: graphql-ws hands each to our replacer,
      // which never lets it reach JSON as an object (see PayloadSplicer).
      subscribe: (args) => (args.contextValue as LiveExecutionContext).iterator as AsyncIterable<never>,
      // The operation is registered under its id from here on (unless the client completed it meanwhile): live
      // events may be written straight to the socket (DirectNextWriter); its end still goes through graphql-ws. (A
      // client that completes an id and subscribes it again before the first subscribe was set up leaves the first
      // running until the connection closes, as graphql-ws's own path would.)
      onOperation: (ctx, id, _payload, args) => {
        if (id in ctx.subscriptions)
          (args.contextValue as LiveExecutionContext).iterator.writeDirectly(
            new DirectNextWriter(ctx.extra.socket, id),
          );
        return undefined;
      },
      execute: () => ({ errors: [userError('BAD_USER_INPUT', 'Only subscriptions run over WebSocket.')] }),
      onError: (_ctx, _id, _payload, errors) => {
        logger.debug({ errors: errors.map((e) => e.message) }, 'subscription error sent');
      },
    };
  }

  /** Parses and validates a query against the API schema, cached by text per schema. */
  private document(query: string, schema: GraphQLSchema): ParsedQuery | readonly GraphQLError[] {
    let cache = this.documents.get(schema);
    if (!cache) {
      cache = new Map();
      this.documents.set(schema, cache);
    }
    const cached = cache.get(query);
    if (cached) return cached;
    let result: ParsedQuery | readonly GraphQLError[];
    try {
      const doc = parse(query, { maxTokens: this.options.maxTokens ?? 5000 });
      const errors = validate(schema, doc, specifiedRules);
      const hide = this.options.hideSuggestions === true;
      result = errors.length
        ? errors.map((e) => userError('GRAPHQL_VALIDATION_FAILED', hide ? withoutSuggestions(e.message) : e.message))
        : { text: query, document: doc };
    } catch (err) {
      result = [
        userError(
          'GRAPHQL_PARSE_FAILED',
          err instanceof GraphQLError ? err.message : 'The query is not valid GraphQL.',
        ),
      ];
    }
    if (cache.size >= MAX_CACHED_DOCUMENTS) cache.delete(cache.keys().next().value!);
    cache.set(query, result);
    return result;
  }

  private onConnection(
    server: ReturnType<typeof makeServer<Record<string, unknown> | undefined, SocketExtra>>,
    socket: WebSocket,
  ): void {
    const { logger } = this.options;
    // Listeners with `on`, not `once` ('close' comes once; a second 'error' closes a closing socket, a no-op): `once`
    // wraps each listener in a bound function of its own, held as long as the socket.
    socket.on('error', this.onSocketError);
    this.keepAlive.watch(socket);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            // Spliced even when the socket has closed, so no token is left behind.
            data = this.splicer.splice(data);
            if (socket.readyState !== socket.OPEN) return resolve();
            corkUntilNextTurn(socket);
            socket.send(data, (err) => (err ? reject(err) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        // Not an async function: graphql-ws's handler of a subscribe message lasts as long as the subscription, and
        // an awaiting wrapper would keep the frame's Buffer alive that long too.
        onMessage: (cb) =>
          socket.on('message', (event) => {
            cb(String(event)).catch((err: unknown) => {
              // Unknown message types and other protocol violations: the client's fault, never a crash.
              logger.debug({ err: (err as Error).message }, 'bad websocket message');
              socket.close(LiveCloseCodes.BadRequest.code, 'Invalid message received');
            });
          }),
      },
      // Not the upgrade request: nothing reads it after the upgrade, and its headers would stay in memory as long as
      // the connection.
      { socket },
    );
    socket.on('close', (code, reason) => {
      void closed(code, String(reason));
    });
  }
}

/** `iterators` with `iterator` added and those that ended dropped (see {@link SocketExtra.iterators}). */
function withIterator(
  iterators: LiveIterator | Set<LiveIterator> | undefined,
  iterator: LiveIterator,
): LiveIterator | Set<LiveIterator> {
  if (iterators === undefined || (!(iterators instanceof Set) && iterators.isEnded)) return iterator;
  if (!(iterators instanceof Set)) return new Set([iterators, iterator]);
  for (const it of iterators) if (it.isEnded) iterators.delete(it);
  iterators.add(iterator);
  return iterators;
}

function isErrorList<T>(value: T | readonly GraphQLError[]): value is readonly GraphQLError[] {
  return Array.isArray(value);
}
