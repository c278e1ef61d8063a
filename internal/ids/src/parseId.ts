const MAX_ID = (1n << 63n) - 1n;

/**
 * Parses a GraphQL `ID` (decimal string) into an id; returns null when it is not one (not decimal, out of the
 * positive 64-bit range, leading zeros). Callers turn null into a `BAD_USER_INPUT` error naming the argument.
 */
export function parseId(value: unknown): bigint | null {
  if (typeof value !== 'string' || !/^[1-9][0-9]{0,18}$/.test(value)) return null;
  const id = BigInt(value);
  return id <= MAX_ID ? id : null;
}
