import type { ApolloServerPlugin } from '@apollo/server';
import { userError } from '@chatgraph/errors';

/**
 * Refuses a subscription sent over HTTP with `BAD_REQUEST` and a 400 before anything is planned (the gateway serves
 * subscriptions over WebSocket only; without this the federated executor fails on it as an internal error).
 */
export function subscriptionsOverHttpPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation !== 'subscription') return;
          const error = userError(
            'BAD_REQUEST',
            'Subscriptions run over WebSocket (graphql-transport-ws) on /graphql, not over HTTP.',
          );
          error.extensions.http = { status: 400 };
          throw error;
        },
      };
    },
  };
}
