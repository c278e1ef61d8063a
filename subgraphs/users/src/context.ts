import type { BaseSubgraphContext } from '@chatgraph/service';
import type { TokenService } from '@chatgraph/auth';
import type { RateLimits } from '@chatgraph/ratelimit';
import type { UsersStorage } from './storage/UsersStorage';
import type { PasswordHasher } from './security/PasswordHasher';

/** What the users resolvers receive: the verified identity plus this request's storage (with its DataLoaders). */
export interface UsersContext extends BaseSubgraphContext {
  /** Storage for this request only: its DataLoaders cache and batch within the request. */
  users: UsersStorage;
  passwords: PasswordHasher;
  tokens: TokenService;
  /** logIn and signUp limits, shared with every users instance through Redis. */
  limits: RateLimits;
}
