'use strict';

/**
 * Polls `url` until it answers 200, giving up at the deadline or as soon as `shouldStop()` returns true (for example
 * because the process being waited for has exited).
 * @param {string} url e.g. `http://127.0.0.1:4001/health`
 * @param {{ timeoutMs?: number, intervalMs?: number, shouldStop?: () => boolean }} [options]
 *   `timeoutMs` @default 60000, `intervalMs` @default 200
 * @returns {Promise<'healthy' | 'timeout' | 'stopped'>}
 */
async function waitForHealth(url, options = {}) {
  const { timeoutMs = 60_000, intervalMs = 200, shouldStop = () => false } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (shouldStop()) return 'stopped';
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(Math.min(2000, timeoutMs)) });
      // The body is read so the socket is released instead of lingering until garbage collection.
      await res.arrayBuffer();
      if (res.status === 200) return 'healthy';
    } catch {
      // Not listening yet, or too slow to answer: try again until the deadline.
    }
    if (Date.now() >= deadline) return 'timeout';
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

module.exports = { waitForHealth };
