import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { ChatGraphError, type GraphQLErrorPayload } from './ChatGraphError.ts';
import { documentHash, persistedQueryExtension, printDocument } from './printDocument.ts';

/** Returns the access token to send, or nothing (signed out: `signUp` and `logIn` need none). */
export type TokenGetter = () => string | null | undefined | Promise<string | null | undefined>;

/** The `fetch` the SDK calls: the global one by default; pass a wrapper to add headers, logging or tracing. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** A GraphQL response: `data` (null or partial on errors) and `errors`. */
export interface GraphQLResult<TData> {
  data?: TData | null;
  errors?: GraphQLErrorPayload[];
}

/** A GraphQL response and the HTTP status it came with. */
export interface HttpResponse<TData> {
  status: number;
  result: GraphQLResult<TData>;
}

/** Options of {@link HttpExecutor}. */
export interface HttpExecutorOptions {
  /** The gateway's `/graphql` URL. */
  url: string;
  getToken: TokenGetter;
  fetch: FetchLike;
  /** Send a document's hash instead of its text (see {@link ChatClientOptions.persistedDocuments}). @default false */
  persistedDocuments?: boolean;
  /**
   * Called when the gateway refused the token that was sent (HTTP 401, `UNAUTHENTICATED`): resolves true when there
   * is a new token to try, and the request is sent once more with it. Nothing ran on the server for a refused token,
   * so resending is safe for any operation. Absent: a refused token is the caller's to handle.
   */
  renew?: (rejected: string) => Promise<boolean>;
}

function isResultShape(value: unknown): value is GraphQLResult<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const { data, errors } = value as { data?: unknown; errors?: unknown };
  return (data !== undefined || errors !== undefined) && (errors === undefined || Array.isArray(errors));
}

// Proxies answer these when no gateway could serve the request: nothing reached the API, a retry may succeed.
const GATEWAY_DOWN = new Set([502, 503, 504]);

/**
 * Runs queries and mutations with `POST /graphql` (JSON), with the token from `getToken()` as
 * `Authorization: Bearer`. Resolves with the GraphQL response, errors included; rejects with a
 * {@link ChatGraphError} (`NETWORK_ERROR`, `BAD_RESPONSE`) only when there is no GraphQL response to return.
 */
export class HttpExecutor {
  constructor(private readonly options: HttpExecutorOptions) {}

  /** Sends one operation and returns its response. */
  async execute<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
    signal?: AbortSignal,
  ): Promise<HttpResponse<TData>> {
    const token = await this.options.getToken();
    const response = await this.send(document, variables, token, signal);
    const { renew } = this.options;
    if (token && renew && refusedToken(response) && (await renew(token)))
      return this.send(document, variables, await this.options.getToken(), signal);
    return response;
  }

  /** One request with `token`: by hash first when persisted documents are on (the full document if unknown). */
  private async send<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
    token: string | null | undefined,
    signal?: AbortSignal,
  ): Promise<HttpResponse<TData>> {
    const { query, operationName } = printDocument(document);
    if (this.options.persistedDocuments) {
      const extensions = persistedQueryExtension(await documentHash(document));
      const byHash = await this.post<TData>({ variables, operationName, extensions }, token, signal);
      // A gateway that does not know the hash (not in its manifest) is sent the document once, with its hash.
      if (byHash.result.errors?.[0]?.extensions?.code !== 'PERSISTED_QUERY_NOT_FOUND') return byHash;
      return this.post<TData>({ query, variables, operationName, extensions }, token, signal);
    }
    return this.post<TData>({ query, variables, operationName }, token, signal);
  }

  private async post<TData>(
    payload: Record<string, unknown>,
    token: string | null | undefined,
    signal?: AbortSignal,
  ): Promise<HttpResponse<TData>> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
    };
    if (token) headers.authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await this.options.fetch(this.options.url, {
        method: 'POST',
        headers,
        body: JSON.stringify(payload),
        signal,
      });
    } catch (cause) {
      if (signal?.aborted) throw cause;
      throw new ChatGraphError('NETWORK_ERROR', `Cannot reach ${this.options.url}: ${describe(cause)}`, { cause });
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (cause) {
      if (signal?.aborted) throw cause;
      throw noGraphQLBody(this.options.url, response.status, cause);
    }
    if (!isResultShape(body)) throw noGraphQLBody(this.options.url, response.status);
    return { status: response.status, result: body as GraphQLResult<TData> };
  }
}

/** The gateway refused the request's token before running anything. */
function refusedToken(response: HttpResponse<unknown>): boolean {
  return response.status === 401 && response.result.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED';
}

function noGraphQLBody(url: string, status: number, cause?: unknown): ChatGraphError {
  if (GATEWAY_DOWN.has(status) || cause instanceof TypeError)
    return new ChatGraphError('NETWORK_ERROR', `${url} answered HTTP ${status} without a GraphQL response.`, {
      status,
      cause,
    });
  return new ChatGraphError('BAD_RESPONSE', `${url} answered HTTP ${status}, which is not a GraphQL response.`, {
    status,
    cause,
  });
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = (cause as Error & { cause?: unknown }).cause;
    return inner instanceof Error ? `${cause.message} (${inner.message})` : cause.message;
  }
  return String(cause);
}
