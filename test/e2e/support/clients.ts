import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { graphqlRequest, type GraphQLResponse } from '@chatgraph/testing';

/** A signed-up user as the tests use it. */
export interface TestUser {
  id: string;
  token: string;
  username: string;
}

let counter = 0;

/** A GraphQL call to a gateway as a signed-in user (or anonymously without a token). */
export function gql<T = Record<string, any>>(
  url: string,
  token: string | null,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<GraphQLResponse<T>> {
  return graphqlRequest<T>(url, query, { variables, headers: token ? { authorization: `Bearer ${token}` } : {} });
}

/** Signs a new user up through a gateway. */
export async function signUp(url: string, displayName = 'Test User'): Promise<TestUser> {
  const username = `u${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const res = await gql<{ signUp: { token: string; user: { id: string } } }>(
    url,
    null,
    'mutation($u: String!, $p: String!, $d: String!) { signUp(username: $u, password: $p, displayName: $d) { token user { id } } }',
    { u: username, p: 'correct horse battery', d: displayName },
  );
  if (!res.data?.signUp) throw new Error(`signUp failed: ${JSON.stringify(res.errors)}`);
  return { id: res.data.signUp.user.id, token: res.data.signUp.token, username };
}

/** What a live subscription received so far. */
export interface LiveSubscription<T> {
  results: Array<{ data?: T | null; errors?: Array<{ message: string; extensions?: Record<string, any> }> }>;
  errors: unknown[];
  completed: boolean;
  /** Resolves when `predicate` holds for the results (rejects after `timeoutMs`). */
  waitFor(predicate: (results: LiveSubscription<T>['results']) => boolean, timeoutMs?: number): Promise<void>;
  unsubscribe(): void;
}

/** A graphql-ws client on a gateway, authenticated with `token`; no automatic retries (tests control reconnects). */
export function liveClient(
  wsUrl: string,
  token: string | null,
  onClose?: (code: number, reason: string) => void,
): Client {
  return createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    on: {
      closed: (event) => {
        const e = event as { code: number; reason: string };
        onClose?.(e.code, e.reason);
      },
    },
  });
}

/** Subscribes and collects results. */
export function subscribe<T = Record<string, any>>(
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
): LiveSubscription<T> {
  const sub: LiveSubscription<T> = {
    results: [],
    errors: [],
    completed: false,
    waitFor: (predicate, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const check = () => {
          if (predicate(sub.results)) return resolve();
          if (sub.errors.length || sub.completed) {
            if (predicate(sub.results)) return resolve();
            return reject(
              new Error(
                `subscription ended: ${JSON.stringify(sub.errors)}; got ${JSON.stringify(sub.results).slice(0, 2000)}`,
              ),
            );
          }
          if (Date.now() - started > timeoutMs)
            return reject(new Error(`timed out; got ${JSON.stringify(sub.results).slice(0, 2000)}`));
          setTimeout(check, 20);
        };
        check();
      }),
    unsubscribe: () => undefined,
  };
  sub.unsubscribe = client.subscribe<T>(
    { query, variables },
    {
      next: (r) => sub.results.push(r as LiveSubscription<T>['results'][number]),
      error: (e) => sub.errors.push(e),
      complete: () => (sub.completed = true),
    },
  );
  return sub;
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
