/**
 * Resolves after `ms`. For pacing and for "nothing more arrives" checks only: to wait until something is ready, poll
 * a real signal (`waitUntil`, `LiveSubscription.waitFor`).
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
