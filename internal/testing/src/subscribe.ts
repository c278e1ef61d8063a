import type { Client } from 'graphql-ws';

/** What a live subscription received so far. */
export interface LiveSubscription<T> {
  results: Array<{ data?: T | null; errors?: Array<{ message: string; extensions?: Record<string, any> }> }>;
  errors: unknown[];
  completed: boolean;
  /**
   * Resolves when `predicate` holds for the results; rejects when the subscription ended without it, or after
   * `timeoutMs` (the message shows what arrived).
   */
  waitFor(predicate: (results: LiveSubscription<T>['results']) => boolean, timeoutMs?: number): Promise<void>;
  unsubscribe(): void;
}

/** Subscribes through a graphql-ws client and collects every result, error and the completion. */
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
