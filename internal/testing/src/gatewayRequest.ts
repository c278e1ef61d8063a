import { graphqlRequest, type GraphQLResponse } from './graphqlRequest';

/**
 * A GraphQL call to a gateway (HTTP) as a signed-in user, with `Authorization: Bearer <token>`, or anonymously when
 * `token` is null. Never throws on a GraphQL error: the response carries them.
 */
export function gatewayRequest<T = Record<string, any>>(
  url: string,
  token: string | null,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<GraphQLResponse<T>> {
  return graphqlRequest<T>(url, query, { variables, headers: token ? { authorization: `Bearer ${token}` } : {} });
}
