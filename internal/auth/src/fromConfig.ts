import type { Config } from '@chatgraph/config';
import { TokenService, type TokenKey } from './TokenService';
import { IdentitySigner } from './IdentitySigner';

/** The {@link TokenService} described by the configuration (current key plus an optional previous one). */
export function tokenServiceFromConfig(config: Config, now?: () => number): TokenService {
  const previous: TokenKey[] = [];
  if (config.JWT_PREVIOUS_SECRET && config.JWT_PREVIOUS_KEY_ID) {
    previous.push({
      id: config.JWT_PREVIOUS_KEY_ID,
      secret: config.JWT_PREVIOUS_SECRET,
      notAfter: config.JWT_PREVIOUS_KEY_UNTIL ? new Date(config.JWT_PREVIOUS_KEY_UNTIL) : undefined,
    });
  }
  return new TokenService({
    current: { id: config.JWT_KEY_ID, secret: config.JWT_SECRET },
    previous,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    ttlSeconds: config.JWT_TTL_SECONDS,
    now,
  });
}

/** The {@link IdentitySigner} shared by the gateway and the subgraphs. */
export function identitySignerFromConfig(config: Config): IdentitySigner {
  return new IdentitySigner({ secret: config.GATEWAY_IDENTITY_SECRET });
}
