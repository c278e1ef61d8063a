import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** What every log line written while serving one request carries. */
export interface RequestScope {
  /** The request's id: the caller's `x-request-id` when it sent a sane one, else a new UUID. */
  requestId: string;
  /**
   * Who the request acts for, set by the subgraph server once it verified the gateway's identity header (null: no
   * user). Database reads use it for read-your-writes on replicas.
   */
  viewerId?: string | null;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** The header a request id travels in (from a client or HAProxy, and from the gateway to its subgraphs). */
export const REQUEST_ID_HEADER = 'x-request-id';

/** Ids a caller may choose: short, printable, no spaces (anything else is replaced, never logged as given). */
const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request id to use for a request that sent `header` (a fresh UUID unless it is a sane id). */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && SANE_ID.test(value) ? value : randomUUID();
}

/** Runs `fn` with `scope` as the current request (every log line inside carries its id). */
export function withRequestScope<T>(scope: RequestScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/** The current request, when running inside {@link withRequestScope}. */
export function currentRequest(): RequestScope | undefined {
  return storage.getStore();
}

/** The current request's id as a header for the calls it makes to other services (empty outside a request). */
export function requestIdHeader(): Record<string, string> {
  const scope = storage.getStore();
  return scope ? { [REQUEST_ID_HEADER]: scope.requestId } : {};
}
