export { TokenService, TokenError, bearerToken } from './TokenService';
export type { TokenKey, TokenServiceOptions, VerifiedToken, TokenRejection } from './TokenService';
export { IdentitySigner, IdentityError, IDENTITY_HEADER, bodyDigest } from './IdentitySigner';
export type { Identity, IdentitySignerOptions, IdentityRejection } from './IdentitySigner';
export { tokenServiceFromConfig, identitySignerFromConfig } from './fromConfig';
export { RevocationFeed } from './RevocationFeed';
export type { Revocation, RevocationKeys } from './RevocationFeed';
