import { IDENTITY_HEADER, IdentitySigner } from '@chatgraph/auth';
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
}

/** POSTs a GraphQL operation and returns status, data and errors (never throws on a GraphQL error). */
export async function graphqlRequest<TData = Record<string, any>>(
  url: string,
  query: string,
  options: GraphQLRequestOptions = {},
): Promise<GraphQLResponse<TData>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify({ query, variables: options.variables ?? {} }),
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
 * Calls a subgraph directly the way the gateway does: with a signed identity header for `viewerId` (null for an
 * anonymous request), signed with the config's `GATEWAY_IDENTITY_SECRET`, and `headers` besides (e.g. the session).
 */
export function subgraphRequester(config: Pick<Config, 'GATEWAY_IDENTITY_SECRET'>, url: string) {
  const signer = new IdentitySigner({ secret: config.GATEWAY_IDENTITY_SECRET });
  return <TData = Record<string, any>>(
    query: string,
    variables: Record<string, unknown> = {},
    viewerId: string | null = null,
    headers: Record<string, string> = {},
  ) =>
    graphqlRequest<TData>(url, query, {
      variables,
      headers: { ...headers, [IDENTITY_HEADER]: signer.sign({ userId: viewerId }) },
    });
}
