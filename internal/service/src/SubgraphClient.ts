import { IDENTITY_HEADER, type IdentitySigner } from '@chatgraph/auth';
import { isErrorCode, userError } from '@chatgraph/errors';
import { requestIdHeader } from '@chatgraph/logging';
import { traceHeaders } from '@chatgraph/telemetry';

/** A GraphQL response as another subgraph sends it. */
export interface SubgraphResponse<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

/** Options of {@link SubgraphClient}. */
export interface SubgraphClientOptions {
  /** The other subgraph's name (for error messages). */
  name: string;
  /** Its `/graphql` URL, one per replica (tried in turn; an unreachable one is skipped for this request). */
  urls: readonly string[];
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
  private turn = 0;

  constructor(private readonly options: SubgraphClientOptions) {
    if (options.urls.length === 0) throw new Error(`no URL for the ${options.name} subgraph`);
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  /** Runs `query` as `viewerId`; resolves with its data or throws a coded GraphQLError. */
  async request<T>(query: string, variables: Record<string, unknown>, viewerId: string | null): Promise<T> {
    const body = JSON.stringify({ query, variables });
    const response = await this.post<T>(body, viewerId);
    const first = response.errors?.[0];
    if (response.data && !first) return response.data;
    const code = first?.extensions?.code;
    if (isErrorCode(code) && code !== 'INTERNAL_SERVER_ERROR')
      throw userError(code, first!.message, { serviceName: this.options.name });
    throw userError('SERVICE_UNAVAILABLE', `The ${this.options.name} service could not answer; retry shortly.`, {
      serviceName: this.options.name,
    });
  }

  /**
   * POSTs to one replica after the other until one answers; one more try than there are replicas, because a
   * keep-alive connection to a replica that restarted fails once before a new one is opened.
   */
  private async post<T>(body: string, viewerId: string | null): Promise<SubgraphResponse<T>> {
    const { urls } = this.options;
    const first = this.turn++ % urls.length;
    for (let i = 0; i <= urls.length; i++) {
      try {
        const res = await fetch(urls[(first + i) % urls.length]!, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...traceHeaders(),
            ...requestIdHeader(),
            // Signed for these exact bytes (the subgraph refuses the header with any other body).
            [IDENTITY_HEADER]: this.options.identity.sign({ userId: viewerId }, body),
          },
          body,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        if (res.status >= 500) continue;
        return (await res.json()) as SubgraphResponse<T>;
      } catch {
        // unreachable, timed out or not JSON: the next replica
      }
    }
    throw userError('SERVICE_UNAVAILABLE', `The ${this.options.name} service is unavailable; retry shortly.`, {
      serviceName: this.options.name,
    });
  }
}
