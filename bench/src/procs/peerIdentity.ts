import { bearerToken, identitySignerFromConfig, tokenServiceFromConfig } from '@chatgraph/auth';
import { loadConfigOrExit, type Config } from '@chatgraph/config';
import { SUBGRAPHS } from '@chatgraph/manifest';

/**
 * What a peer gateway needs to talk to chatgraph's subgraphs exactly like ours does: verify the client's JWT and sign
 * the internal identity header (subgraphs refuse requests without it). Same code as our gateway, so the peers do the
 * same work per request.
 */
export function peerIdentity(config: Config = loadConfigOrExit()) {
  const tokens = tokenServiceFromConfig(config);
  const signer = identitySignerFromConfig(config);
  return {
    config,
    /** The viewer of an `Authorization` header value (null when absent); throws on an invalid token. */
    async viewerOf(authorization: string | null | undefined): Promise<string | null> {
      if (!authorization) return null;
      const token = bearerToken(authorization);
      if (!token) throw new Error('malformed authorization header');
      return (await tokens.verify(token)).userId;
    },
    /** The identity header value for a viewer, signed for the exact request body it goes with. */
    sign(viewerId: string | null, body: string): string {
      return signer.sign({ userId: viewerId }, body);
    },
  };
}

/** The supergraph with the subgraph URLs of this run instead of the committed defaults (loopback, default ports). */
export function supergraphFor(sdl: string, config: Config): string {
  return SUBGRAPHS.reduce(
    (text, s) => text.replace(`http://127.0.0.1:${s.port.default}/graphql`, config[s.graphql.urlKey]),
    sdl,
  );
}
