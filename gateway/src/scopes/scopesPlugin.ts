import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from '../auth/SubgraphDataSource';
import { checkScopes } from './checkScopes';

/**
 * Apollo Server plugin applying {@link checkScopes} to every HTTP operation once it is resolved: an API token's
 * operation runs only when its scopes cover every field (403, FORBIDDEN with `extensions.requiredScope`).
 */
export function scopesPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, contextValue }) {
          if (!operation) return;
          const error = checkScopes(schema, document, operation, contextValue.scopes ?? undefined);
          if (!error) return;
          error.extensions.http = { status: 403 };
          throw error;
        },
      };
    },
  };
}
