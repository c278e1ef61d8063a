import http from 'node:http';
import https from 'node:https';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { IDENTITY_HEADER, SESSION_HEADER, type IdentitySigner } from '@chatgraph/auth';

/** What the gateway knows about the request it forwards. */
export interface GatewayContext extends Record<string, unknown> {
  /** The verified user, or null for an anonymous request (signUp, logIn). */
  viewerId: string | null;
  /** The session of the request's access token (forwarded for `logOut`), or null. */
  sessionId?: string | null;
}

/** Options of {@link SubgraphDataSource}. */
export interface SubgraphDataSourceOptions {
  name: string;
  url: string;
  identity: IdentitySigner;
  agent: http.Agent;
  /** Per-request time limit. @default 10000 */
  timeoutMs?: number;
  /** Told why a subgraph could not be reached (the client only learns which service is unavailable). */
  onUnavailable?: (service: string, detail: string) => void;
}

/** One keep-alive agent per gateway process, shared by every subgraph. */
export function createKeepAliveAgent(maxSockets = 128): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' });
}

/**
 * Sends fetches to one subgraph over a keep-alive HTTP agent, with the viewer's identity in the signed internal header
 * (never the client's token). A subgraph that cannot be reached answers, for the fields it owns, a
 * `SERVICE_UNAVAILABLE` error instead of failing the whole request: the other subgraphs' data still arrives.
 */
export class SubgraphDataSource implements GraphQLDataSource<GatewayContext> {
  private readonly url: URL;
  private readonly transport: typeof http | typeof https;
  private readonly timeoutMs: number;

  constructor(private readonly options: SubgraphDataSourceOptions) {
    this.url = new URL(options.url);
    this.transport = this.url.protocol === 'https:' ? https : http;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const viewerId = typeof options.context?.viewerId === 'string' ? options.context.viewerId : null;
    const { query, variables, operationName } = options.request;
    const body = JSON.stringify({ query, variables, operationName });
    try {
      const sessionId = typeof options.context?.sessionId === 'string' ? options.context.sessionId : undefined;
      const { status, text } = await this.post(body, this.options.identity.sign({ userId: viewerId }), sessionId);
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
      return this.unavailable((err as Error).message);
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

  private post(body: string, identity: string, sessionId?: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = this.transport.request(
        this.url,
        {
          method: 'POST',
          agent: this.options.agent,
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            'content-length': Buffer.byteLength(body),
            [IDENTITY_HEADER]: identity,
            ...(sessionId ? { [SESSION_HEADER]: sessionId } : {}),
          },
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }
}
