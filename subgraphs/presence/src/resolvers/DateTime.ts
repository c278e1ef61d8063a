import { GraphQLScalarType, Kind } from 'graphql';
import { badInput } from '@chatgraph/errors';

function toDate(value: unknown): Date | null {
  const date =
    value instanceof Date ? value : typeof value === 'string' || typeof value === 'number' ? new Date(value) : null;
  return date && !Number.isNaN(date.getTime()) ? date : null;
}

/** `DateTime`: ISO-8601 UTC strings with milliseconds on output; ISO-8601 strings accepted as input. */
export const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'A point in time as an ISO-8601 string in UTC with milliseconds.',
  serialize(value) {
    const date = toDate(value);
    if (!date) throw new TypeError('DateTime cannot represent an invalid date');
    return date.toISOString();
  },
  parseValue(value) {
    const date = typeof value === 'string' ? toDate(value) : null;
    if (!date) throw badInput('DateTime', 'Expected an ISO-8601 date-time string, e.g. 2025-06-01T12:30:00.000Z.');
    return date;
  },
  parseLiteral(ast) {
    const date = ast.kind === Kind.STRING ? toDate(ast.value) : null;
    if (!date) throw badInput('DateTime', 'Expected an ISO-8601 date-time string, e.g. 2025-06-01T12:30:00.000Z.');
    return date;
  },
});
