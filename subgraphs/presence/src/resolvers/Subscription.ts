import { userError } from '@chatgraph/errors';

/**
 * `Subscription` fields. The gateway serves them from Redis (see `@live` in the schema) and never asks this service;
 * a subscription sent here directly gets a clear error instead of an internal one.
 */
export const Subscription = {
  presenceChanged: {
    subscribe(): never {
      throw userError('BAD_USER_INPUT', 'Subscribe to presenceChanged through the chatgraph gateway (WebSocket).');
    },
    resolve(): never {
      throw userError('BAD_USER_INPUT', 'Subscribe to presenceChanged through the chatgraph gateway (WebSocket).');
    },
  },
};
