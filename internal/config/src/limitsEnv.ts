import { isIP } from 'node:net';
import { z } from 'zod';

/** A rate limit: at most `points` actions per fixed window of `durationSeconds`. */
export interface Rate {
  points: number;
  durationSeconds: number;
}

/**
 * Growing delays after consecutive failures: `free` attempts without delay, then one attempt per wait, the wait
 * starting at `firstSeconds` and doubling with every further failure up to `maxSeconds`.
 */
export interface Backoff {
  free: number;
  firstSeconds: number;
  maxSeconds: number;
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3600 } as const;
const DURATION = '([1-9][0-9]{0,5})([smh])';

function seconds(amount: string, unit: string): number {
  return Number(amount) * UNIT_SECONDS[unit as keyof typeof UNIT_SECONDS];
}

/** `<points>/<duration>`, e.g. `100/10m` (units s, m, h). */
const rate = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx): Rate => {
      const m = new RegExp(`^([1-9][0-9]{0,8})/${DURATION}$`).exec(value.trim());
      if (!m) {
        ctx.addIssue({ code: 'custom', message: 'must be <count>/<duration>, e.g. 100/10m (units s, m, h)' });
        return z.NEVER;
      }
      return { points: Number(m[1]), durationSeconds: seconds(m[2]!, m[3]!) };
    });

/** `<free>/<first>..<max>`, e.g. `5/1s..5m`. */
const backoff = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx): Backoff => {
      const m = new RegExp(`^([0-9]{1,4})/${DURATION}\\.\\.${DURATION}$`).exec(value.trim());
      const parsed = m && {
        free: Number(m[1]),
        firstSeconds: seconds(m[2]!, m[3]!),
        maxSeconds: seconds(m[4]!, m[5]!),
      };
      if (!parsed || parsed.maxSeconds < parsed.firstSeconds) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be <free failures>/<first wait>..<longest wait>, e.g. 5/1s..5m (units s, m, h)',
        });
        return z.NEVER;
      }
      return parsed;
    });

/** proxy-addr's names for address ranges, accepted in TRUSTED_PROXIES besides addresses and CIDRs. */
const RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

function isAddressOrCidr(entry: string): boolean {
  if (RANGE_NAMES.includes(entry)) return true;
  const [address, prefix, extra] = entry.split('/');
  const family = isIP(address ?? '');
  if (!family || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^[0-9]{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** A comma-separated list of proxy addresses, CIDRs or range names, e.g. `loopback,10.0.0.0/8`; `none`: no proxy. */
const proxyList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx): string[] => {
      if (value.trim() === 'none') return [];
      const entries = value
        .split(',')
        .map((e) => e.trim())
        .filter((e) => e.length > 0);
      const bad = entries.filter((e) => !isAddressOrCidr(e));
      if (bad.length) {
        ctx.addIssue({
          code: 'custom',
          message: `must be addresses, CIDRs or loopback/linklocal/uniquelocal separated by commas (bad: ${bad.join(', ')})`,
        });
        return z.NEVER;
      }
      return entries;
    });

/**
 * The variables of abuse limits: one per rate-limit family (shared by every instance through Redis; see
 * docs/api.md), the bound on concurrent password hashing, and which peers may tell the gateway a client's address.
 */
export const limitsEnv = {
  /** logIn per username: growing delays after consecutive failures; a success resets them. */
  RATE_LIMIT_LOGIN_USER: backoff('5/1s..5m'),
  /** logIn attempts per client address. */
  RATE_LIMIT_LOGIN_ADDRESS: rate('100/10m'),
  /** signUp per client address. */
  RATE_LIMIT_SIGNUP_ADDRESS: rate('30/1h'),
  /** sendMessage per author. */
  RATE_LIMIT_MESSAGE_USER: rate('200/1m'),
  /** sendMessage per chat (all authors together). */
  RATE_LIMIT_MESSAGE_CHAT: rate('600/1m'),
  /** createGroupChat and addMembers per user. */
  RATE_LIMIT_MEMBERSHIP_USER: rate('60/10m'),
  /** setTyping per user and chat. */
  RATE_LIMIT_TYPING: rate('10/10s'),
  /** New WebSocket connections per user (at connection_init). */
  RATE_LIMIT_SOCKET_USER: rate('60/1m'),
  /** New WebSocket connections per client address (at the HTTP upgrade). */
  RATE_LIMIT_SOCKET_ADDRESS: rate('300/1m'),
  /** Requests (HTTP operations and WebSocket subscriptions) per API token. */
  RATE_LIMIT_API_TOKEN: rate('600/1m'),
  /** Password hashes (scrypt) computed at once by one users process; the rest wait in a bounded queue. */
  PASSWORD_HASH_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /** Hashes waiting for a slot; beyond it logIn and signUp answer SERVICE_UNAVAILABLE with `retryAfterMs`. */
  PASSWORD_HASH_QUEUE: z.coerce.number().int().min(0).max(10_000).default(32),
  /** Peers whose `X-Forwarded-For` the gateway believes (HAProxy): addresses, CIDRs, `loopback`, or `none`. */
  TRUSTED_PROXIES: proxyList('loopback'),
};
