import type { Config } from '@chatgraph/config';
import type { Logger } from '@chatgraph/logging';
import { redisLocation } from '@chatgraph/pubsub';
import { createLimiterRedis } from './createLimiterRedis';
import { LoginThrottle } from './LoginThrottle';
import { RateLimit } from './RateLimit';
import { RateLimitStore } from './RateLimitStore';

/**
 * Every rate-limit family of chatgraph, configured from the environment (one `RATE_LIMIT_*` variable each; the table
 * is in docs/api.md), on one Redis connection per process. Families are built on first use, so a process only keeps
 * the ones it enforces.
 */
export class RateLimits {
  private readonly built = new Map<string, RateLimit>();
  private loginThrottle?: LoginThrottle;

  constructor(
    readonly store: RateLimitStore,
    private readonly config: Config,
  ) {}

  /**
   * The limits of `config`, on a new Redis connection (`REDIS_URL`, or the cluster of `REDIS_CLUSTER_NODES`), keys
   * prefixed with `DB_NAME_PREFIX`; `autoPipelining` as in `createRedis` (default on).
   */
  static fromConfig(config: Config, logger: Logger, options: { autoPipelining?: boolean } = {}): RateLimits {
    const store = new RateLimitStore({
      redis: createLimiterRedis(redisLocation(config), logger, options),
      namespace: config.DB_NAME_PREFIX,
      logger,
    });
    return new RateLimits(store, config);
  }

  /** logIn: growing delays per username, attempts per client address. */
  get login(): LoginThrottle {
    return (this.loginThrottle ??= new LoginThrottle(
      this.store,
      this.config.RATE_LIMIT_LOGIN_USER,
      this.config.RATE_LIMIT_LOGIN_ADDRESS,
    ));
  }

  /** signUp per client address. */
  get signUpPerAddress(): RateLimit {
    return this.family('signup:address', 'RATE_LIMIT_SIGNUP_ADDRESS', 'sign-ups from your address');
  }

  /** sendMessage per author. */
  get messagesPerUser(): RateLimit {
    return this.family('message:user', 'RATE_LIMIT_MESSAGE_USER', 'messages from you');
  }

  /** sendMessage per chat. */
  get messagesPerChat(): RateLimit {
    return this.family('message:chat', 'RATE_LIMIT_MESSAGE_CHAT', 'messages in this chat');
  }

  /** createGroupChat and addMembers per user. */
  get membershipPerUser(): RateLimit {
    return this.family('membership:user', 'RATE_LIMIT_MEMBERSHIP_USER', 'group changes from you');
  }

  /** setTyping per user and chat. */
  get typing(): RateLimit {
    return this.family('typing', 'RATE_LIMIT_TYPING', 'typing updates');
  }

  /** New WebSocket connections per user. */
  get socketsPerUser(): RateLimit {
    return this.family('socket:user', 'RATE_LIMIT_SOCKET_USER', 'new connections for your account');
  }

  /** New WebSocket connections per client address. */
  get socketsPerAddress(): RateLimit {
    return this.family('socket:address', 'RATE_LIMIT_SOCKET_ADDRESS', 'new connections from your address');
  }

  /** Requests per API token (HTTP operations and WebSocket subscriptions). */
  get apiTokens(): RateLimit {
    return this.family('token', 'RATE_LIMIT_API_TOKEN', 'requests with this API token');
  }

  /** Closes the Redis connection. */
  close(): Promise<void> {
    return this.store.close();
  }

  private family(
    name: string,
    key:
      | 'RATE_LIMIT_SIGNUP_ADDRESS'
      | 'RATE_LIMIT_MESSAGE_USER'
      | 'RATE_LIMIT_MESSAGE_CHAT'
      | 'RATE_LIMIT_MEMBERSHIP_USER'
      | 'RATE_LIMIT_TYPING'
      | 'RATE_LIMIT_SOCKET_USER'
      | 'RATE_LIMIT_SOCKET_ADDRESS'
      | 'RATE_LIMIT_API_TOKEN',
    what: string,
  ): RateLimit {
    let limit = this.built.get(name);
    if (!limit) {
      limit = new RateLimit(this.store, name, this.config[key], what);
      this.built.set(name, limit);
    }
    return limit;
  }
}
