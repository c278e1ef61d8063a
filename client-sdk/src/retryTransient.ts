import { backoffDelay, type BackoffOptions } from './backoff.ts';
import { ChatGraphError } from './ChatGraphError.ts';

/** How often and how patiently an idempotent request is retried. */
export interface RetryOptions extends BackoffOptions {
  /** Attempts in total, the first included (1 = no retry). @default 4 */
  attempts?: number;
}

/** The defaults of {@link RetryOptions} (delays: about 200 ms, 400 ms, 800 ms, at most 5 s). */
export const DEFAULT_RETRY: Readonly<Required<Pick<RetryOptions, 'attempts' | 'initialMs' | 'maxMs'>>> = Object.freeze({
  attempts: 4,
  initialMs: 200,
  maxMs: 5000,
});

/**
 * Runs `request`, and again after a backoff while it fails with a transient {@link ChatGraphError}
 * (`NETWORK_ERROR`, `SERVICE_UNAVAILABLE`, `RATE_LIMITED` — waiting at least its `retryAfterMs`), at most `attempts`
 * times in all. Other errors are thrown at once; after
 * the last attempt its error is thrown. Only for requests that are safe to repeat. An aborted `signal` ends the waiting
 * between attempts (rejecting with its reason).
 */
export async function retryTransient<T>(
  request: () => Promise<T>,
  options: RetryOptions & { signal?: AbortSignal } = {},
  random: () => number = Math.random,
): Promise<T> {
  const attempts = Math.max(1, Math.floor(options.attempts ?? DEFAULT_RETRY.attempts));
  const backoff = { initialMs: DEFAULT_RETRY.initialMs, maxMs: DEFAULT_RETRY.maxMs, ...options };
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (err) {
      if (!(err instanceof ChatGraphError) || !err.transient || attempt >= attempts) throw err;
      const delay = Math.max(backoffDelay(attempt - 1, backoff, random), err.retryAfterMs);
      await pause(delay, options.signal);
    }
  }
}

/** Waits `ms`, or rejects with the signal's reason as soon as it is aborted. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
