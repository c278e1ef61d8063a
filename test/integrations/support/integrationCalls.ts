import { gatewayRequest, type GraphQLResponse, type TestUser } from '@chatgraph/testing';

/** A GraphQL call that must succeed; returns its data. */
export async function must<T = Record<string, any>>(
  url: string,
  token: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const res = await gatewayRequest<T>(url, token, query, variables);
  if (!res.data || res.errors?.length) throw new Error(`${query}: ${JSON.stringify(res.errors)}`);
  return res.data;
}

/** The code and extensions of a response's first error (`ok` when there is none). */
export function outcome(res: GraphQLResponse): { code: string; status: number; [key: string]: unknown } {
  const first = res.errors?.[0];
  return first
    ? { ...first.extensions, code: String(first.extensions?.code), status: res.status }
    : { code: 'ok', status: res.status };
}

/** Creates a bot owned by `owner`; returns its id and username. */
export async function createBot(
  url: string,
  owner: TestUser,
  username: string,
): Promise<{ id: string; username: string }> {
  const data = await must<{ createBot: { id: string; username: string; isBot: boolean } }>(
    url,
    owner.token,
    'mutation($u: String!) { createBot(username: $u, displayName: "Echo") { id username isBot } }',
    { u: username },
  );
  return data.createBot;
}

/** Creates an API token of `owner` (for `botId` when given); returns the token and its id. */
export async function createToken(
  url: string,
  owner: TestUser,
  scopes: string[],
  botId?: string,
): Promise<{ token: string; id: string }> {
  const data = await must<{ createApiToken: { token: string; apiToken: { id: string } } }>(
    url,
    owner.token,
    'mutation($s: [TokenScope!]!, $b: ID) { createApiToken(name: "test", scopes: $s, botId: $b) { token apiToken { id } } }',
    { s: scopes, b: botId ?? null },
  );
  return { token: data.createApiToken.token, id: data.createApiToken.apiToken.id };
}

let counter = 0;
/** A username no other test uses. */
export const uniqueName = (prefix: string) => `${prefix}${process.pid}_${Date.now().toString(36)}_${counter++}`;
