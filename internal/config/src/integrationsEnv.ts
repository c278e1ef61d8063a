import { bool, millisList, positiveInt } from './schemaParts';

/**
 * The variables of third-party integrations: API tokens (how long a gateway trusts a verification, how often a
 * token may be used) and outgoing webhooks (timeouts, the retry schedule, which targets may be called). Kept apart
 * from the rest of the schema so that they are reviewed together.
 */
export const integrationsEnv = {
  /**
   * How long a gateway keeps a verified API token before asking the users service again (which also records
   * `lastUsedAt`, at most once a minute per token). A revocation reaches every gateway at once regardless.
   */
  API_TOKEN_CACHE_MS: positiveInt(60_000),
  /** Longest one webhook delivery attempt may take (connect, send, answer). */
  WEBHOOK_TIMEOUT_MS: positiveInt(10_000),
  /**
   * Delays before each retry of a failed delivery, in ms (Standard Webhooks: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
   * 10 h); after the last one the delivery is DEAD (it can be redelivered by hand).
   */
  WEBHOOK_RETRY_SCHEDULE_MS: millisList('5000,300000,1800000,7200000,18000000,36000000,36000000'),
  /**
   * Whether webhooks and Web Push may call private, loopback and link-local addresses. Off: production refuses them
   * (SSRF); development and tests always allow loopback.
   */
  WEBHOOK_ALLOW_PRIVATE_TARGETS: bool(false),
  /** How long a notifier keeps a webhook's settings (URL, secret, disabled) in memory. */
  WEBHOOK_CACHE_MS: positiveInt(5_000),
  /** Deliveries a notifier sends at once (unacknowledged messages of the delivery queue). */
  WEBHOOK_PREFETCH: positiveInt(256),
  /** How often a notifier looks for deliveries someone asked to redeliver. */
  WEBHOOK_REDELIVER_POLL_MS: positiveInt(1_000),
};
