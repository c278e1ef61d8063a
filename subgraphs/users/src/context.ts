import type { BaseSubgraphContext } from '@chatgraph/service';
import type { RateLimits } from '@chatgraph/ratelimit';
import type { UsersStorage } from './storage/UsersStorage';
import type { PasswordHasher } from './security/PasswordHasher';
import type { Sessions } from './sessions/Sessions';
import type { ApiTokens } from './integrations/ApiTokens';
import type { BlockStore } from './storage/BlockStore';
import type { BlockChanges } from './live/BlockChanges';
import type { ProfileChanges } from './live/ProfileChanges';

/** What the users resolvers receive: the verified identity plus this request's storage (with its DataLoaders). */
export interface UsersContext extends BaseSubgraphContext {
  /** Storage for this request only: its DataLoaders cache and batch within the request. */
  users: UsersStorage;
  passwords: PasswordHasher;
  /** logIn and signUp limits, shared with every users instance through Redis. */
  limits: RateLimits;
  sessions: Sessions;
  /** API tokens: create, list, revoke, verify for the gateways. */
  apiTokens: ApiTokens;
  /** Who blocked whom. */
  blocks: BlockStore;
  /** Announces profile changes to the gateways' entity caches (after the commit). */
  profileChanges: ProfileChanges;
  /** Announces block changes to the notifiers' block caches (after the commit). */
  blockChanges: BlockChanges;
  /** The service's clock (token expiry). */
  now: () => number;
  /**
   * The session of the request's access token, as the gateway signs it into the identity header; null without one.
   * Only meaningful with `viewerId`, and only ever used on the viewer's own sessions.
   */
  sessionId: bigint | null;
}
