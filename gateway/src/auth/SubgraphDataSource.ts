import { Agent } from 'undici';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { IDENTITY_HEADER, type Identity, type IdentitySigner, type TokenScope } from '@chatgraph/auth';
import { requestIdHeader } from '@chatgraph/logging';
import { inSpan, SpanKind, traceHeaders } from '@chatgraph/telemetry';
import { UpstreamUnavailable, type SubgraphUpstream } from '../upstream/SubgraphUpstream';
import type { SharedFetches } from '../upstream/SharedFetches';

/** What the gateway knows about the request it forwards. */
export interface GatewayContext extends Record<string, unknown> {
  /** The verified user, or null for an anonymous request (signUp, logIn). */
  viewerId: string | null;
  /** The client's address (see `clientAddress`); absent for the gateway's own calls. */
  clientAddress?: string;
  /** The session of the request's access token (signed into the identity, for `logOut`), or null. */
  sessionId?: string | null;
  /** The API token the request was made with, or null for a session or an anonymous request. */
  apiTokenId?: string | null;
  /** That API token's scopes; null for a session (every scope) or an anonymous request. */
  scopes?: TokenScope[] | null;
}

/** Options of {@link SubgraphDataSource}. */
export interface SubgraphDataSourceOptions {
  name: string;
  /** The subgraph's replicas, breakers, time limits and bulkhead. */
  upstream: SubgraphUpstream;
  identity: IdentitySigner;
  /**
   * Identical queries in flight share one request (one for the whole gateway: every mutation of every subgraph ends
   * the sharing of what was sent before it); none, each fetch sends its own.
   */
  shared?: SharedFetches;
  /** Told why a subgraph could not be reached (the client only learns which service is unavailable). */
  onUnavailable?: (service: string, detail: string) => void;
  /** Told of every fetch: how long it took (seconds) and whether the subgraph answered. */
  onFetch?: (service: string, seconds: number, outcome: 'ok' | 'unavailable') => void;
}

/**
 * The gateway's HTTP client to its subgraphs, one per process: undici keeps a pool of keep-alive connections per
 * replica, at most `connections` each (it costs the gateway less CPU per fetch than `node:http`'s client). A replica
 * that does not accept the connection within `connectTimeoutMs` (the subgraph time limit) counts as unreachable.
 */
export function createSubgraphDispatcher(connectTimeoutMs: number, connections = 128): Agent {
  return new Agent({ connections, pipelining: 1, keepAliveTimeout: 30_000, connect: { timeout: connectTimeoutMs } });
}

const MUTATION = /^\s*mutation\b/;

/**
 * Sends fetches to one subgraph through its {@link SubgraphUpstream} (replicas, breakers, time limits, retries of
 * queries), with the viewer's identity and the client's address in the internal header, signed for the body it goes
 * with (never the client's token). A subgraph that cannot answer gives, for the fields it owns, a
 * `SERVICE_UNAVAILABLE` error instead of failing the whole request: the other subgraphs' data still arrives.
 * Each fetch is a client span (`fetch <subgraph>`) whose W3C trace context travels in the request, with the
 * request's id, so the subgraph's own span and log lines join the client's trace.
 */
export class SubgraphDataSource implements GraphQLDataSource<GatewayContext> {
  constructor(private readonly options: SubgraphDataSourceOptions) {}

  process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const startedAt = performance.now();
    return inSpan(
      `fetch ${this.options.name}`,
      { kind: SpanKind.CLIENT, attributes: { 'subgraph.name': this.options.name } },
      async () => {
        const response = await this.fetch(options);
        const unavailable = response.errors?.[0]?.extensions?.code === 'SERVICE_UNAVAILABLE' && !response.data;
        this.options.onFetch?.(
          this.options.name,
          (performance.now() - startedAt) / 1000,
          unavailable ? 'unavailable' : 'ok',
        );
        return response;
      },
    );
  }

  private async fetch(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const viewerId = typeof options.context?.viewerId === 'string' ? options.context.viewerId : null;
    const clientAddress = options.context?.clientAddress;
    const { query, variables, operationName } = options.request;
    const body = JSON.stringify({ query, variables, operationName });
    // Signed for these exact bytes: the subgraph refuses the header with any other body.
    const sessionId = options.context?.sessionId;
    const apiTokenId = options.context?.apiTokenId;
    const scopes = options.context?.scopes;
    const identity: Identity = {
      userId: viewerId,
      ...(typeof clientAddress === 'string' ? { clientAddress } : {}),
      ...(typeof sessionId === 'string' ? { sessionId } : {}),
      ...(typeof apiTokenId === 'string' ? { apiTokenId } : {}),
      ...(Array.isArray(scopes) ? { scopes } : {}),
    };
    // Entity fetches and queries may go to another replica, and may share a request in flight; a mutation is sent once.
    const idempotent = !MUTATION.test(query ?? '');
    const send = () =>
      this.options.upstream.send({
        body,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          [IDENTITY_HEADER]: this.options.identity.sign(identity, body),
          ...traceHeaders(),
          ...requestIdHeader(),
        },
        idempotent,
        key: viewerId ?? (typeof clientAddress === 'string' ? clientAddress : null),
      });
    const { shared } = this.options;
    try {
      const { status, text } = await (shared
        ? shared.fetch(idempotent ? sharingKey(this.options.name, identity, body) : null, send)
        : send());
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return this.unavailable(`answered HTTP ${status} without JSON`);
      }
      if (typeof parsed !== 'object' || parsed === null)
        return this.unavailable(`answered HTTP ${status} without a GraphQL response`);
      return parsed as GatewayGraphQLResponse;
    } catch (err) {
      if (err instanceof UpstreamUnavailable) return this.unavailable(err.message);
      throw err;
    }
  }

  private unavailable(detail: string): GatewayGraphQLResponse {
    this.options.onUnavailable?.(this.options.name, detail);
    return {
      errors: [
        {
          message: `The ${this.options.name} service is unavailable; its fields are missing from this response. Retry later.`,
          extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: this.options.name },
        },
      ],
    };
  }
}

/** The fetches that may share a request: the same subgraph, the same identity as the subgraph sees it, the same body. */
function sharingKey(subgraph: string, identity: Identity, body: string): string {
  const { userId, clientAddress, sessionId, apiTokenId, scopes } = identity;
  // The body is JSON (no raw line breaks), and last; the identity is JSON too: the key cannot be read two ways.
  return `${JSON.stringify([subgraph, userId, clientAddress, sessionId, apiTokenId, scopes])}\n${body}`;
}
