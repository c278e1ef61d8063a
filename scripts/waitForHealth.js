'use strict';

const waitOn = require('wait-on');

/** wait-on cannot be cancelled: it is asked in slices this long, so that `shouldStop` is honoured soon. */
const SLICE_MS = 1000;

/**
 * Polls `url` (wait-on, HTTP GET) until it answers 2xx, giving up at the deadline or as soon as `shouldStop()` returns
 * true (for example because the process being waited for has exited).
 * @param {string} url e.g. `http://127.0.0.1:4001/health`
 * @param {{ timeoutMs?: number, intervalMs?: number, shouldStop?: () => boolean }} [options]
 *   `timeoutMs` @default 60000, `intervalMs` @default 200
 * @returns {Promise<'healthy' | 'timeout' | 'stopped'>}
 */
async function waitForHealth(url, options = {}) {
  const { timeoutMs = 60_000, intervalMs = 200, shouldStop = () => false } = options;
  const resource = url.replace(/^http(s?):/, 'http$1-get:');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (shouldStop()) return 'stopped';
    const slice = Math.max(1, Math.min(SLICE_MS, deadline - Date.now()));
    try {
      // A short stability window: a health URL that answered once is up.
      await waitOn({ resources: [resource], timeout: slice, interval: intervalMs, window: intervalMs, proxy: false });
      return 'healthy';
    } catch {
      if (Date.now() >= deadline) return 'timeout';
    }
  }
}

module.exports = { waitForHealth };
