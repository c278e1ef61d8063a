import { IDENTITY_HEADER, IdentitySigner, type Identity } from '@chatgraph/auth';
import type { Config } from '@chatgraph/config';

/** A GraphQL response as a client sees it. */
export interface GraphQLResponse<TData = Record<string, any>> {
  status: number;
  data?: TData | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, any> }>;
}

/** Options of {@link graphqlRequest}. */
export interface GraphQLRequestOptions {
  variables?: Record<string, unknown>;
  /** Extra headers (e.g. `authorization` for the gateway). */
  headers?: Record<string, string>;
  /** Headers that depend on the exact body sent (the identity header, signed for it). */
  signedHeaders?: (body: string) => Record<string, string>;
}

/** POSTs a GraphQL operation and returns status, data and errors (never throws on a GraphQL error). */
export async function graphqlRequest<TData = Record<string, any>>(
  url: string,
  query: string,
  options: GraphQLRequestOptions = {},
): Promise<GraphQLResponse<TData>> {
  const requestBody = JSON.stringify({ query, variables: options.variables ?? {} });
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers, ...options.signedHeaders?.(requestBody) },
    body: requestBody,
  });
  const text = await res.text();
  let body: { data?: TData | null; errors?: GraphQLResponse['errors'] };
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`HTTP ${res.status}: not JSON: ${text.slice(0, 200)}`);
  }
  return { status: res.status, data: body.data, errors: body.errors };
}

/**
 * Calls a subgraph directly the way the gateway does: with an identity header for `viewerId` (null for an anonymous
 * request) and, when given, the client's address (a string) or more of the identity (client address, session id),
 * signed for the body with the config's `GATEWAY_IDENTITY_SECRET`.
 */
export function subgraphRequester(config: Pick<Config, 'GATEWAY_IDENTITY_SECRET'>, url: string) {
  const signer = new IdentitySigner({ secret: config.GATEWAY_IDENTITY_SECRET });
  return <TData = Record<string, any>>(
    query: string,
    variables: Record<string, unknown> = {},
    viewerId: string | null = null,
    more?: string | Omit<Identity, 'userId'>,
  ) =>
    graphqlRequest<TData>(url, query, {
      variables,
      signedHeaders: (body) => ({
        [IDENTITY_HEADER]: signer.sign(
          { userId: viewerId, ...(typeof more === 'string' ? { clientAddress: more } : (more ?? {})) },
          body,
        ),
      }),
    });
}
