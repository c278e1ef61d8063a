import { ExponentialBackoff, handleAll, retry } from 'cockatiel';
import { RevocationFeed, type Revocation, type RevocationKeys } from '@chatgraph/auth';
import { userError } from '@chatgraph/errors';
import { decomposeId } from '@chatgraph/ids';
import type { Logger } from '@chatgraph/logging';
import type { ChannelSubscriber, RedisClient } from '@chatgraph/pubsub';
import type { RedisTopicHub } from '../subscriptions/RedisTopicHub';

/** Options of {@link RevocationList}. */
export interface RevocationListOptions {
  /** Reads the sorted sets: a connection in normal mode (the event bus's publisher). */
  reader: RedisClient;
  /** Receives the channel: the process's subscriber (shared with the topic hub, which ignores the channel). */
  subscriber: ChannelSubscriber;
  /** Says when the subscriber reconnected and its channels are subscribed again. */
  hub: RedisTopicHub;
  keys: RevocationKeys;
  logger: Logger;
  /** @default Date.now */
  now?: () => number;
  /** How often entries past their `until` are dropped from memory. @default 60000 */
  sweepMs?: number;
}

/**
 * The part of a verified credential that revocations are about: an access token's session, or an API token (by id).
 */
export type TokenSession = { userId: string; sessionId: string } | { userId: string; tokenId: string };

/** The time part of a session id: when the session started. */
function sessionStart(sessionId: string): number {
  return decomposeId(BigInt(sessionId)).timeMs;
}

/**
 * Which sessions have ended, in memory, so checking a token costs no Redis round trip. Filled from Redis at start,
 * kept current by the revocation channel, and loaded again after every Redis reconnect (what was published while the
 * link was down is in the sorted sets). Entries only ever grow until their `until`, and loading merges rather than
 * replaces: an entry a restarted, empty Redis no longer has is still enforced here until it expires.
 *
 * While Redis is down the list keeps what it knew (fail open for what it cannot know): see `docs/architecture.md`,
 * Identity, for why. Before the first load it knows nothing: {@link loaded} is false and the gateway refuses
 * authenticated requests with SERVICE_UNAVAILABLE until it is.
 */
export class RevocationList {
  private readonly sessions = new Map<string, number>();
  private readonly tokens = new Map<string, number>();
  private readonly users = new Map<string, { notBefore: number; until: number }>();
  private readonly listeners = new Set<(revocation: Revocation) => void>();
  private readonly now: () => number;
  private readonly abort = new AbortController();
  private readonly loadPolicy = retry(handleAll, {
    maxAttempts: Number.POSITIVE_INFINITY,
    backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 5000 }),
  });
  private sweep: NodeJS.Timeout | undefined;
  private stopListening: (() => void) | undefined;
  private loadedOnce = false;

  constructor(private readonly options: RevocationListOptions) {
    this.now = options.now ?? Date.now;
  }

  /** True once the sets were read from Redis at least once. */
  get loaded(): boolean {
    return this.loadedOnce;
  }

  /**
   * Throws SERVICE_UNAVAILABLE (HTTP 503) until the list was loaded once: until then the gateway cannot tell a revoked
   * token from a valid one.
   */
  assertLoaded(): void {
    if (this.loadedOnce) return;
    const error = userError('SERVICE_UNAVAILABLE', 'The gateway is still loading ended sessions; retry shortly.');
    error.extensions.http = { status: 503 };
    throw error;
  }

  /** Revoked sessions and users currently remembered (for /metrics). */
  get size(): { sessions: number; users: number; tokens: number } {
    return { sessions: this.sessions.size, users: this.users.size, tokens: this.tokens.size };
  }

  /**
   * Subscribes to the channel, then loads the sets (in that order, so nothing published in between is missed), and
   * keeps retrying until both worked. Resolves when the list is loaded, or after `waitMs` with loading going on in the
   * background.
   */
  async start(waitMs = 5000): Promise<void> {
    const { subscriber, hub, keys } = this.options;
    const onMessage = (channel: string, message: string) => {
      if (channel === keys.channel) this.receive(message);
    };
    const stopMessages = subscriber.onMessage(onMessage);
    const stopReloading = hub.onResubscribed(() => void this.load());
    this.stopListening = () => {
      stopMessages();
      stopReloading();
    };
    this.sweep = setInterval(() => this.dropExpired(), this.options.sweepMs ?? 60_000);
    this.sweep.unref();
    const first = this.load(() => subscriber.subscribe(keys.channel));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([first, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
  }

  /**
   * True when the token's session was revoked, or its user revoked every session started before it; for an API token,
   * when the token was revoked.
   */
  isRevoked(token: TokenSession): boolean {
    const now = this.now();
    if ('tokenId' in token) {
      const revokedUntil = this.tokens.get(token.tokenId);
      return revokedUntil !== undefined && revokedUntil > now;
    }
    const until = this.sessions.get(token.sessionId);
    if (until !== undefined && until > now) return true;
    const user = this.users.get(token.userId);
    return user !== undefined && user.until > now && sessionStart(token.sessionId) < user.notBefore;
  }

  /** Calls `listener` for every revocation that changes the list (from the channel or a load). */
  onRevoked(listener: (revocation: Revocation) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops listening and loading. */
  stop(): void {
    this.abort.abort();
    clearInterval(this.sweep);
    this.stopListening?.();
  }

  /** Reads both sets and merges them in, retrying until it works (or the list is stopped). */
  private async load(before?: () => Promise<unknown>): Promise<void> {
    const { reader, keys, logger } = this.options;
    try {
      await this.loadPolicy.execute(async () => {
        await before?.();
        const from = `(${this.now()}`;
        const [sessions, users, tokens] = await Promise.all([
          reader.zrangebyscore(keys.sessions, from, '+inf', 'WITHSCORES'),
          reader.zrangebyscore(keys.users, from, '+inf', 'WITHSCORES'),
          reader.zrangebyscore(keys.tokens, from, '+inf', 'WITHSCORES'),
        ]);
        for (const [kind, flat] of [
          ['session', sessions],
          ['user', users],
          ['token', tokens],
        ] as const)
          for (let i = 0; i + 1 < flat.length; i += 2) {
            const revocation = RevocationFeed.fromMember(kind, flat[i]!, Number(flat[i + 1]));
            if (revocation) this.apply(revocation);
          }
        this.loadedOnce = true;
        logger.debug(this.size, 'session revocations loaded');
      }, this.abort.signal);
    } catch (err) {
      if (!this.abort.signal.aborted) logger.error({ err }, 'loading session revocations failed');
    }
  }

  private receive(message: string): void {
    let revocation: Revocation | null = null;
    try {
      revocation = RevocationFeed.decode(JSON.parse(message));
    } catch {
      // not JSON: reported below like any other malformed message
    }
    if (revocation) this.apply(revocation);
    else this.options.logger.warn('a malformed session revocation was ignored');
  }

  private apply(revocation: Revocation): void {
    if (revocation.until <= this.now()) return;
    if (revocation.kind === 'session' || revocation.kind === 'token') {
      const map = revocation.kind === 'session' ? this.sessions : this.tokens;
      const id = revocation.kind === 'session' ? revocation.sessionId : revocation.tokenId;
      const known = map.get(id);
      if (known !== undefined && known >= revocation.until) return;
      map.set(id, revocation.until);
      if (known !== undefined) return;
    } else {
      const known = this.users.get(revocation.userId);
      if (known && known.notBefore >= revocation.notBefore && known.until >= revocation.until) return;
      this.users.set(revocation.userId, {
        notBefore: Math.max(known?.notBefore ?? 0, revocation.notBefore),
        until: Math.max(known?.until ?? 0, revocation.until),
      });
      if (known && known.notBefore >= revocation.notBefore) return;
    }
    for (const listener of this.listeners) {
      try {
        listener(revocation);
      } catch (err) {
        this.options.logger.error({ err }, 'revocation listener failed');
      }
    }
  }

  private dropExpired(): void {
    const now = this.now();
    for (const [id, until] of this.sessions) if (until <= now) this.sessions.delete(id);
    for (const [id, until] of this.tokens) if (until <= now) this.tokens.delete(id);
    for (const [id, entry] of this.users) if (entry.until <= now) this.users.delete(id);
  }
}
