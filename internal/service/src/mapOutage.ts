import { GraphQLError } from 'graphql';
import { userError } from '@chatgraph/errors';
import { infrastructureFailure, type InfrastructureFailure } from './infrastructureFailure';

const WHAT: Record<InfrastructureFailure, string> = {
  postgres: 'its database',
  redis: 'Redis',
  network: 'a service it depends on',
};

/**
 * The one outage mapping of every subgraph: an error saying that Postgres or Redis cannot be reached, is overloaded
 * or is going away (see {@link infrastructureFailure}) becomes `SERVICE_UNAVAILABLE`: retry later; a failed
 * transaction wrote nothing, and a send retried with its clientMessageId cannot duplicate. Everything else,
 * GraphQL errors included, is returned unchanged (a bug stays an internal error, logged by the server).
 */
export function mapOutage(err: unknown, service: string): unknown {
  if (err instanceof GraphQLError) return err;
  const failure = infrastructureFailure(err);
  if (!failure) return err;
  return userError(
    'SERVICE_UNAVAILABLE',
    `The ${service} service cannot reach ${WHAT[failure]} right now; try again in a moment.`,
  );
}
