import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { GraphQLError, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { handleProtocols, type SubscribePayload } from 'graphql-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { bearerToken, TokenError } from '@chatgraph/auth';
import { LiveCloseCodes, TOKEN_EXPIRED_REASON, userError } from '@chatgraph/errors';
import { rateLimited } from '@chatgraph/ratelimit';
import { scopesOf, type Authenticator } from '../auth/Authenticator';
import { checkScopes } from '../scopes/checkScopes';
import type { Logger } from '@chatgraph/logging';
import type { RevocationList } from '../auth/RevocationList';
import type { FederatedSubscriptionEngine } from '../subscriptions/FederatedSubscriptionEngine';
import type { LiveIterator } from '../subscriptions/LiveSubscriber';
import { checkOperationLimits, type OperationLimits } from '../limits/operationLimits';
import { KeepAliveSweep } from './KeepAliveSweep';
import type { TrustedDocuments } from '../trusted/TrustedDocuments';
import { withoutSuggestions } from '../http/withoutSuggestions';
import { SessionSockets } from './SessionSockets';
import { isErrorList, LiveConnection, type LiveConnectionHooks } from './LiveConnection';
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

/** A query that parsed and validated, with the text it was parsed from (the copy the cache keeps). */
interface ParsedQuery {
  text: string;
  document: DocumentNode;
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
  private readonly connectionHooks: LiveConnectionHooks;
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
    this.connectionHooks = this.hooks();
    this.wss.on('connection', (socket: WebSocket) => this.onConnection(socket));
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

  /** What each {@link LiveConnection} asks of the server: its credential checked, its subscribes run. */
  private hooks(): LiveConnectionHooks {
    const { logger } = this.options;
    return {
      connect: (connection, params) => this.connect(connection, params),
      subscribe: (connection, _id, payload) => this.subscribe(connection, payload),
      closed: (connection) => {
        if (connection.expiresAtMs !== undefined) this.expiry.forget(connection.socket, connection.expiresAtMs);
        if (connection.tracked) this.sessions.forget(connection.tracked);
      },
      debug: (detail, message) => logger.debug(detail, message),
    };
  }

  /** `connection_init`: the token checked, the user admitted; false (the socket closed with the reason) if not. */
  private async connect(connection: LiveConnection, params: Record<string, unknown>): Promise<boolean> {
    const { auth } = this.options;
    const raw =
      typeof params.authorization === 'string'
        ? bearerToken(params.authorization)
        : typeof params.token === 'string'
          ? params.token
          : undefined;
    const { socket } = connection;
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
      connection.viewerId = verified.userId;
      connection.principal = verified;
      connection.scopes = scopesOf(verified);
      connection.tracked = this.sessions.track(verified, socket);
      if (verified.expiresAt !== null) {
        connection.expiresAtMs = verified.expiresAt.getTime();
        this.expiry.watch(socket, connection.expiresAtMs);
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
  }

  /** `subscribe`: the document checked (parse, validation, limits, scopes) and run on the engine. */
  private async subscribe(
    connection: LiveConnection,
    payload: SubscribePayload,
  ): Promise<LiveIterator | readonly GraphQLError[]> {
    const { engine, auth } = this.options;
    const viewerId = connection.viewerId;
    if (!viewerId) return [userError('UNAUTHENTICATED', 'Send a valid token in connection_init first.')];
    const schema = engine.apiSchema;
    if (!schema) return [userError('SERVICE_UNAVAILABLE', 'The gateway has not loaded its schema yet; retry shortly.')];
    const query = this.options.trusted ? this.options.trusted.resolve(payload) : payload.query;
    if (isErrorList(query)) return [...query];
    if (typeof query !== 'string') return [userError('BAD_USER_INPUT', 'The subscribe message needs a query string.')];
    const parsed = this.document(query, schema);
    if (isErrorList(parsed)) return [...parsed];
    const doc = parsed.document;
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
    const outOfScope = checkScopes(schema, doc, operation, connection.scopes);
    if (outOfScope) return [outOfScope];
    if (connection.principal) {
      const admitted = await auth.admit(connection.principal);
      if (!admitted.allowed) return [rateLimited('requests with this API token', admitted.retryAfterMs)];
    }
    const result = await engine.subscribe({
      document: doc,
      // "" names no operation, as in graphql-ws.
      operationName: payload.operationName || undefined,
      variables: payload.variables ?? undefined,
      connection,
      viewerId,
    });
    if (isErrorList(result)) return [...result];
    if (connection.socket.readyState !== connection.socket.OPEN) {
      void result.return?.();
      return [userError('BAD_USER_INPUT', 'The connection closed.')];
    }
    return result;
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

  private onConnection(socket: WebSocket): void {
    // Listeners with `on`, not `once` ('close' comes once; a second 'error' closes a closing socket, a no-op): `once`
    // wraps each listener in a bound function of its own, held as long as the socket.
    socket.on('error', this.onSocketError);
    this.keepAlive.watch(socket);
    const connection = new LiveConnection(socket, this.connectionHooks, this.options.connectionInitWaitMs ?? 3000);
    socket.on('message', (data) => connection.receive(String(data)));
    socket.on('close', () => connection.onClose());
  }
}
