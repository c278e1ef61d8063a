/**
 * Reads the Postgres error behind a Prisma raw-query failure. Prisma wraps driver errors as
 * `PrismaClientKnownRequestError` (code P2010) with `meta.driverAdapterError.cause.originalCode` (the SQLSTATE) and,
 * for unique violations, `cause.constraint.index`.
 */
export interface DriverError {
  /** SQLSTATE, e.g. `23505` (unique violation), `40P01` (deadlock). */
  code: string;
  /** The violated constraint or index, when Postgres names one. */
  constraint?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The Postgres error inside `err`, or null when `err` is not one. */
export function driverError(err: unknown): DriverError | null {
  if (!isObject(err) || !isObject(err.meta)) return null;
  const adapterError = err.meta.driverAdapterError;
  if (!isObject(adapterError) || !isObject(adapterError.cause)) return null;
  const cause = adapterError.cause;
  const code = typeof cause.originalCode === 'string' ? cause.originalCode : undefined;
  if (!code) return null;
  const constraint =
    isObject(cause.constraint) && typeof cause.constraint.index === 'string' ? cause.constraint.index : undefined;
  return { code, constraint };
}

/** True for a unique violation, optionally of one named constraint. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = driverError(err);
  return e !== null && e.code === '23505' && (constraint === undefined || e.constraint === constraint);
}

/** True for failures that a retry of the whole transaction can cure (deadlock, serialization failure). */
export function isRetryableTransactionError(err: unknown): boolean {
  const e = driverError(err);
  if (e) return e.code === '40P01' || e.code === '40001';
  // Prisma reports a transaction it had to abort by its own code.
  return isObject(err) && err.code === 'P2034';
}
