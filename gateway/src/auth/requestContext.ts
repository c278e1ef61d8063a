import type { IncomingMessage } from 'node:http';
import type { GraphQLError } from 'graphql';
import { bearerToken, TokenError } from '@chatgraph/auth';
import { isErrorCode, userError } from '@chatgraph/errors';
import { rateLimited } from '@chatgraph/ratelimit';
import { scopesOf, type Authenticator, type Principal } from './Authenticator';
import type { ClientAddresses } from './ClientAddresses';
import type { RevocationList } from './RevocationList';
import type { GatewayContext } from './SubgraphDataSource';

/** What {@link requestContext} needs. */
export interface RequestContextOptions {
  auth: Authenticator;
  revocations: RevocationList;
  addresses: ClientAddresses;
}

/**
 * The context of an HTTP request: anonymous without `Authorization`, else the verified principal (an access token's
 * session or an API token with its scopes), refused before anything runs when the credential is (401), when an API
 * token is over its rate limit (429), or when it cannot be checked now (503).
 */
export function requestContext(options: RequestContextOptions): (req: IncomingMessage) => Promise<GatewayContext> {
  const { auth, revocations, addresses } = options;
  return async (req) => {
    // Travels to the subgraphs inside the signed identity header (logIn and signUp limits per address).
    const clientAddress = addresses.of(req);
    const header = req.headers.authorization;
    if (!header) return { viewerId: null, sessionId: null, clientAddress };
    revocations.assertLoaded();
    let principal: Principal;
    try {
      const token = bearerToken(header);
      if (!token) throw new TokenError('malformed');
      principal = await auth.authenticate(token);
    } catch (err) {
      throw refusedCredential(err);
    }
    const admitted = await auth.admit(principal);
    if (!admitted.allowed) {
      const limited = rateLimited('requests with this API token', admitted.retryAfterMs);
      limited.extensions.http = { status: 429 };
      throw limited;
    }
    return {
      viewerId: principal.userId,
      sessionId: principal.kind === 'session' ? principal.sessionId : null,
      apiTokenId: principal.kind === 'apiToken' ? principal.tokenId : null,
      scopes: scopesOf(principal) ?? null,
      clientAddress,
    };
  };
}

/**
 * The error for a credential that was refused: UNAUTHENTICATED (401) saying why, or, when the users service could not
 * verify an API token, its coded error (SERVICE_UNAVAILABLE, 503): the client retries rather than signs in again.
 */
function refusedCredential(err: unknown): GraphQLError {
  if (err instanceof TokenError) {
    const refused = err.toGraphQLError();
    refused.extensions.http = { status: 401 };
    return refused;
  }
  const code = (err as GraphQLError | undefined)?.extensions?.code;
  if (isErrorCode(code) && code !== 'UNAUTHENTICATED') {
    const error = userError(code, (err as GraphQLError).message);
    error.extensions.http = { status: code === 'SERVICE_UNAVAILABLE' ? 503 : 400 };
    return error;
  }
  const invalid = userError('UNAUTHENTICATED', 'Invalid token.');
  invalid.extensions.http = { status: 401 };
  return invalid;
}
