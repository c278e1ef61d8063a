/** How long to wait between attempts: exponential, capped, with jitter. */
export interface BackoffOptions {
  /** Delay before the first retry (before jitter). @default 250 */
  initialMs?: number;
  /** Largest delay (before jitter). @default 10000 */
  maxMs?: number;
  /** Growth per attempt. @default 2 */
  factor?: number;
  /**
   * Share of the delay that is random, 0..1: the delay is drawn from `[(1 - jitter) * d, d]`, so that thousands of
   * clients dropped by the same gateway do not all come back in the same millisecond. @default 0.5
   */
  jitter?: number;
}

/** {@link BackoffOptions} with every default filled in. */
export type ResolvedBackoff = Required<BackoffOptions>;

/** The defaults of {@link BackoffOptions}. */
export const DEFAULT_BACKOFF: ResolvedBackoff = Object.freeze({
  initialMs: 250,
  maxMs: 10_000,
  factor: 2,
  jitter: 0.5,
});

/** Fills in the defaults and clamps nonsense (negative delays, jitter outside 0..1). */
export function resolveBackoff(options: BackoffOptions = {}): ResolvedBackoff {
  const initialMs = Math.max(0, options.initialMs ?? DEFAULT_BACKOFF.initialMs);
  return {
    initialMs,
    maxMs: Math.max(initialMs, options.maxMs ?? DEFAULT_BACKOFF.maxMs),
    factor: Math.max(1, options.factor ?? DEFAULT_BACKOFF.factor),
    jitter: Math.min(1, Math.max(0, options.jitter ?? DEFAULT_BACKOFF.jitter)),
  };
}

/**
 * The delay before retry number `attempt` (0 for the first retry): `min(maxMs, initialMs * factor^attempt)`, of which
 * the `jitter` share is random. Never negative, never above `maxMs`.
 * @param random a source of numbers in [0, 1) @default Math.random
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const { initialMs, maxMs, factor, jitter } = resolveBackoff(options);
  const exponent = Math.max(0, Math.floor(attempt));
  // Once past the cap, stop multiplying (factor^attempt would overflow to Infinity for huge attempt counts).
  const capped = Math.min(maxMs, initialMs * Math.pow(factor, Math.min(exponent, 64)));
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(capped * (1 - jitter * r));
}
