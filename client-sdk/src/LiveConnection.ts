import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { createClient, type Client } from 'graphql-ws/client';
import { classifyLiveError, closeAction, LiveCloseCode, type LiveFailure } from './classifyLiveError.ts';
import type { GraphQLResult, TokenGetter } from './HttpExecutor.ts';
import { documentHash, persistedQueryExtension, printDocument } from './printDocument.ts';

/** Receives what one subscription yields. */
export interface LiveSink<TData> {
  next(result: GraphQLResult<TData>): void;
  /** The subscription failed: a GraphQL error list, a close event or a socket error (see {@link classifyLiveError}). */
  error(err: unknown): void;
  /** The server ended the subscription. */
  complete(): void;
}

/**
 * What live streams need from a connection: subscribe, know when the socket is up, judge failures. An interface, so
 * that the stream logic is tested without a server.
 */
export interface LiveTransport {
  /** Starts a subscription; returns the function that stops it. */
  subscribe<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
    sink: LiveSink<TData>,
  ): () => void;
  /** True while a socket is open and acknowledged. */
  readonly connected: boolean;
  /** Calls `listener` whenever a socket is acknowledged; returns the function that stops listening. */
  onConnected(listener: () => void): () => void;
  /** What to do about a failure a sink received. */
  classify(err: unknown): LiveFailure;
}

/** Options of {@link LiveConnection}. */
export interface LiveConnectionOptions {
  /** The gateway's WebSocket URL (`ws://` or `wss://` ... `/graphql`). */
  url: string;
  getToken: TokenGetter;
  /**
   * Called before the next socket when the gateway refused or revoked the token of the last one (close 4401 or 4410):
   * gets a new token (see `SessionManager.renew`). Absent: the next socket just asks `getToken()` again.
   */
  renew?: (rejected: string) => Promise<boolean>;
  /** A WebSocket class, e.g. `ws`'s default export in Node 20; the global `WebSocket` by default. */
  webSocketImpl?: unknown;
  /** Ping the server after this long without a pong. @default 10000 */
  keepAliveMs?: number;
  /** Consider the socket dead when a ping gets no pong within this time. @default 5000 */
  pongTimeoutMs?: number;
  /** Subscribe with the document's hash (persisted-query extension) and an empty `query`. @default false */
  persistedDocuments?: boolean;
}

/**
 * One graphql-ws socket (protocol `graphql-transport-ws`) shared by every live stream of a client, opened on the
 * first subscription and closed after the last. Each new socket sends `{ authorization: "Bearer <getToken()>" }` in
 * `connection_init`. graphql-ws's own retries are off: the streams resubscribe themselves, because only they know the
 * `afterSeq` to resume from. A socket whose ping goes unanswered is dropped, so a half-open connection is noticed.
 */
export class LiveConnection implements LiveTransport {
  private client: Client | undefined;
  private acknowledged = false;
  private lastCloseAcknowledged = false;
  private refusals = 0;
  /** The token the current socket was opened with. */
  private socketToken: string | null = null;
  /** A token the gateway refused or revoked, to renew before the next socket. */
  private rejectedToken: string | null = null;
  private pongTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly connectedListeners = new Set<() => void>();
  private disposed = false;

  constructor(private readonly options: LiveConnectionOptions) {}

  get connected(): boolean {
    return this.acknowledged;
  }

  /**
   * Throws a TypeError when there is no WebSocket to use (Node 20 without `webSocketImpl`): a setup mistake, reported
   * where the live stream is created rather than as a stream error later.
   */
  assertAvailable(): void {
    if (this.options.webSocketImpl === undefined && typeof WebSocket === 'undefined')
      throw new TypeError(
        "No WebSocket implementation: pass `webSocketImpl` to createChatClient (in Node 20: import WebSocket from 'ws').",
      );
  }

  subscribe<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
    sink: LiveSink<TData>,
  ): () => void {
    if (this.disposed) {
      sink.complete();
      return () => undefined;
    }
    const { query, operationName } = printDocument(document);
    const payload = { query, operationName, variables: variables as Record<string, unknown> };
    const start = (extensions?: Record<string, unknown>) =>
      this.ensureClient().subscribe<TData>(extensions ? { ...payload, query: '', extensions } : payload, {
        next: (result) => sink.next(result as GraphQLResult<TData>),
        error: (err) => sink.error(err),
        complete: () => sink.complete(),
      });
    if (!this.options.persistedDocuments) return start();
    // The hash is computed once per document (asynchronously): the subscription starts when it is known.
    let stop: (() => void) | undefined;
    let stopped = false;
    void documentHash(document).then(
      (hash) => {
        if (stopped) return;
        if (this.disposed) sink.complete();
        else stop = start(persistedQueryExtension(hash));
      },
      (err: unknown) => sink.error(err),
    );
    return () => {
      stopped = true;
      stop?.();
    };
  }

  onConnected(listener: () => void): () => void {
    this.connectedListeners.add(listener);
    return () => this.connectedListeners.delete(listener);
  }

  classify(err: unknown): LiveFailure {
    return classifyLiveError(err, {
      wasAcknowledged: this.lastCloseAcknowledged,
      consecutiveRefusals: this.refusals,
      renewsTokens: this.options.renew !== undefined,
    });
  }

  /** Closes the socket (streams on it end); the connection cannot be used again. */
  async close(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.pongTimer);
    const client = this.client;
    this.client = undefined;
    try {
      await client?.dispose();
    } catch {
      // graphql-ws rejects `dispose()` with the CloseEvent of a connection attempt that failed meanwhile (e.g. the
      // session ended under it): that socket is closed either way, which is all closing asks for.
    }
  }

  private ensureClient(): Client {
    if (this.client) return this.client;
    this.assertAvailable();
    const { getToken, renew } = this.options;
    const keepAlive = this.options.keepAliveMs ?? 10_000;
    const pongTimeout = this.options.pongTimeoutMs ?? 5000;
    const client = createClient({
      url: this.options.url,
      webSocketImpl: this.options.webSocketImpl,
      lazy: true,
      retryAttempts: 0,
      keepAlive,
      connectionParams: async () => {
        // A failure here (the session ended, or a refresh could not be made) ends the connection attempt with that
        // error, which the streams judge like any other (UNAUTHENTICATED ends them, a transient error is retried).
        if (this.rejectedToken !== null && renew) {
          await renew(this.rejectedToken);
          this.rejectedToken = null;
        }
        const token = (await getToken()) ?? null;
        this.socketToken = token;
        return token ? { authorization: `Bearer ${token}` } : {};
      },
      on: {
        connecting: () => {
          this.acknowledged = false;
        },
        connected: () => {
          this.acknowledged = true;
          this.refusals = 0;
          for (const listener of [...this.connectedListeners]) listener();
        },
        ping: (received) => {
          if (received) return;
          clearTimeout(this.pongTimer);
          this.pongTimer = setTimeout(() => client.terminate(), pongTimeout);
        },
        pong: (received) => {
          if (received) clearTimeout(this.pongTimer);
        },
        closed: (event) => {
          clearTimeout(this.pongTimer);
          this.lastCloseAcknowledged = this.acknowledged;
          const code = (event as { code?: unknown } | null)?.code;
          if (!this.acknowledged && code === LiveCloseCode.Unauthorized) this.refusals++;
          if (typeof code === 'number' && closeAction(code) === 'reauthenticate') this.rejectedToken = this.socketToken;
          this.acknowledged = false;
        },
      },
    });
    this.client = client;
    return client;
  }
}
