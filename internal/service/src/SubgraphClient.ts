import { IDENTITY_HEADER, type IdentitySigner } from '@chatgraph/auth';
import { isErrorCode, userError } from '@chatgraph/errors';

/** A GraphQL response as another subgraph sends it. */
export interface SubgraphResponse<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

/** Options of {@link SubgraphClient}. */
export interface SubgraphClientOptions {
  /** The other subgraph's name (for error messages). */
  name: string;
  /** Its `/graphql` URL. */
  url: string;
  identity: IdentitySigner;
  /** Per-request time limit. @default 5000 */
  timeoutMs?: number;
}

/**
 * Calls another subgraph directly, the way the gateway does: a POST with the signed identity header of the user the
 * call is made for. For internal fields (`@inaccessible`) a subgraph needs from another (does a user exist? who is
 * named `@ada`?). A subgraph that cannot be reached, or answers without data, is `SERVICE_UNAVAILABLE`; its coded
 * errors pass through.
 */
export class SubgraphClient {
  private readonly timeoutMs: number;

  constructor(private readonly options: SubgraphClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  /** Runs `query` as `viewerId`; resolves with its data or throws a coded GraphQLError. */
  async request<T>(query: string, variables: Record<string, unknown>, viewerId: string | null): Promise<T> {
    const body = JSON.stringify({ query, variables });
    let response: SubgraphResponse<T>;
    try {
      const res = await fetch(this.options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [IDENTITY_HEADER]: this.options.identity.sign({ userId: viewerId }),
        },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      response = (await res.json()) as SubgraphResponse<T>;
    } catch {
      throw userError('SERVICE_UNAVAILABLE', `The ${this.options.name} service is unavailable; retry shortly.`, {
        serviceName: this.options.name,
      });
    }
    const first = response.errors?.[0];
    if (response.data && !first) return response.data;
    const code = first?.extensions?.code;
    if (isErrorCode(code) && code !== 'INTERNAL_SERVER_ERROR')
      throw userError(code, first!.message, { serviceName: this.options.name });
    throw userError('SERVICE_UNAVAILABLE', `The ${this.options.name} service could not answer; retry shortly.`, {
      serviceName: this.options.name,
    });
  }
}
