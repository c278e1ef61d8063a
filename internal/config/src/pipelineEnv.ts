import { z } from 'zod';
import { millisList, positiveInt, url } from './schemaParts';

/** The parts of the notification pipeline a notifier process can run (`NOTIFIER_ROLES`). */
export const NOTIFIER_ROLES = ['relay', 'inbox', 'push', 'webhooks', 'email'] as const;
export type NotifierRole = (typeof NOTIFIER_ROLES)[number];

/**
 * The variables of the notification pipeline: the broker, what a notifier process does and how it paces its
 * consumers and relays, and Web Push.
 */
export const pipelineEnv = {
  /** RabbitMQ (the notification pipeline). A vhost is the URL's path (`amqp://guest:guest@host:5672/vhost`). */
  AMQP_URL: url(['amqp:', 'amqps:']).default('amqp://guest:guest@127.0.0.1:5672'),
  /** Prefix of every exchange and queue the pipeline declares (tests sharing a broker give each run its own). */
  AMQP_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 characters of letters, digits, _ . -')
    .default('chatgraph'),
  /**
   * What a notifier process does (comma-separated, default all): `relay` (chat events out of the shards' logs into
   * RabbitMQ), `inbox` (events → notifications), `push` (Web Push, when VAPID keys are set), `webhooks` (events →
   * signed deliveries) and `email` (verification and missed-message emails). Each role can be scaled on its own:
   * e.g. a few `relay,inbox,push,email` workers and as many `webhooks` workers as the endpoints need.
   */
  NOTIFIER_ROLES: z
    .string()
    .default(NOTIFIER_ROLES.join(','))
    .transform((v, ctx) => {
      const roles = new Set<NotifierRole>();
      for (const part of v.split(',')) {
        const role = part.trim();
        if (!(NOTIFIER_ROLES as readonly string[]).includes(role)) {
          ctx.addIssue({
            code: 'custom',
            message: `"${role.slice(0, 40)}" is not a role; expected a comma-separated list of ${NOTIFIER_ROLES.join(', ')}`,
          });
          return z.NEVER;
        }
        roles.add(role as NotifierRole);
      }
      return roles as ReadonlySet<NotifierRole>;
    }),
  /**
   * Unacknowledged messages a notifier worker holds per queue (its parallelism); the messages held together share
   * their lookups and writes (one statement per shard), so a larger window costs fewer statements per event.
   */
  NOTIFIER_PREFETCH: positiveInt(256),
  /** Delays before each retry of a failed message, in ms (comma-separated); after the last one it is dead-lettered. */
  NOTIFIER_RETRY_DELAYS_MS: millisList('1000,10000,60000'),
  /** Deliveries of one message (a worker dying while handling it counts) before the broker dead-letters it. */
  NOTIFIER_DELIVERY_LIMIT: positiveInt(10),
  /**
   * Longest a notifier keeps the users service's answer to "did this recipient block this actor" (0 = ask for every
   * event). Block changes are announced on Redis and forget the answers at once; this bounds a lost announcement.
   */
  NOTIFIER_BLOCK_CACHE_MS: z.coerce.number().int().min(0).default(30_000),
  /** Events the relay reads and publishes per batch. */
  RELAY_BATCH_SIZE: positiveInt(500),
  /** How often an idle relay looks for new events. */
  RELAY_POLL_MS: positiveInt(100),
  /**
   * Least time between two writes of a relay's cursor (confirmed positions in between are written together). A relay
   * that dies publishes again at most this much of what it had confirmed; consumers are idempotent.
   */
  RELAY_CURSOR_WRITE_MS: positiveInt(100),
  /** How often a standby relay tries to take a shard whose relay lock another process holds. */
  RELAY_LOCK_RETRY_MS: positiveInt(1000),
  /** Web Push (VAPID, RFC 8292): set both keys (base64url, e.g. from `npx web-push generate-vapid-keys`) to send. */
  VAPID_PUBLIC_KEY: z.string().min(1).optional(),
  VAPID_PRIVATE_KEY: z.string().min(1).optional(),
  /** Contact of the sender for push services: a `mailto:` or `https:` URL. */
  VAPID_SUBJECT: z
    .string()
    .regex(/^(mailto:|https:)/, 'must be a mailto: or https: URL')
    .default('mailto:ops@chatgraph.invalid'),
  /** Longest one Web Push request may take. */
  PUSH_TIMEOUT_MS: positiveInt(10000),
};
