import { GraphQLError, GraphQLScalarType, type ValueNode } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { userError } from '@chatgraph/errors';

/**
 * Reads input with graphql-scalars' RFC 3339 parser; a malformed instant is the client's mistake (`BAD_USER_INPUT`),
 * not an unexplained error.
 */
function parsed(read: () => Date): Date {
  try {
    return read();
  } catch (err) {
    if (err instanceof GraphQLError) throw userError('BAD_USER_INPUT', err.message);
    throw err;
  }
}

/**
 * The `DateTime` scalar of every subgraph: graphql-scalars' `DateTimeResolver` (RFC 3339 validation of what comes
 * in; Dates, RFC 3339 strings and epoch milliseconds accepted from resolvers), with one difference kept on purpose:
 * it SERIALIZES to the string `Date.prototype.toISOString()` gives (UTC, always with milliseconds, e.g.
 * `2026-01-31T12:00:00.000Z`), which the SDK, the published payloads and the tests read, where `DateTimeResolver`
 * would hand a `Date` object to the JSON encoder. Inside a service an instant is a `Date`. The description is the one
 * every subgraph's SDL declares (it replaces the SDL's at run time, so the two must agree; a test checks it).
 */
export const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An instant: an ISO-8601 date-time string in UTC with milliseconds, e.g. `2026-01-31T12:00:00.000Z`.',
  serialize: (value) => DateTimeResolver.serialize(value).toISOString(),
  parseValue: (value) => parsed(() => DateTimeResolver.parseValue(value)),
  parseLiteral: (ast: ValueNode, variables) => parsed(() => DateTimeResolver.parseLiteral(ast, variables)),
});
