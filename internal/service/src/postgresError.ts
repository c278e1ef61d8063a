/** What Postgres said about a failed statement, however the driver stack wrapped it. */
export interface PostgresError {
  /** SQLSTATE, e.g. `23505` (unique violation), `40P01` (deadlock), `57P01` (admin shutdown). */
  code: string;
  message: string;
  /** The violated constraint or index, when Postgres names one. */
  constraint?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** The Prisma driver adapter's description of a pg error (`{ kind: 'postgres', code }` or `{ originalCode }`). */
function fromAdapterCause(cause: Record<string, unknown>): PostgresError | null {
  const code =
    typeof cause.originalCode === 'string'
      ? cause.originalCode
      : cause.kind === 'postgres' && typeof cause.code === 'string'
        ? cause.code
        : undefined;
  if (!code || !SQLSTATE.test(code)) return null;
  const message =
    typeof cause.originalMessage === 'string'
      ? cause.originalMessage
      : typeof cause.message === 'string'
        ? cause.message
        : '';
  const constraint =
    isObject(cause.constraint) && typeof cause.constraint.index === 'string' ? cause.constraint.index : undefined;
  return { code, message, constraint };
}

/**
 * The Postgres error inside `err`, or null when there is none: a `pg` `DatabaseError` as such, or one wrapped by
 * Prisma (`PrismaClientKnownRequestError` with `meta.driverAdapterError.cause`, or the adapter's `DriverAdapterError`
 * with `cause`). Read by shape, not by class, so callers need neither Prisma nor pg.
 */
export function postgresError(err: unknown): PostgresError | null {
  if (!isObject(err)) return null;
  const adapterError = isObject(err.meta) ? err.meta.driverAdapterError : undefined;
  if (isObject(adapterError) && isObject(adapterError.cause)) return fromAdapterCause(adapterError.cause);
  if (err.name === 'DriverAdapterError' && isObject(err.cause)) return fromAdapterCause(err.cause);
  // pg's own DatabaseError: a SQLSTATE plus the severity that only server errors carry.
  if (typeof err.code === 'string' && SQLSTATE.test(err.code) && typeof err.severity === 'string') {
    return {
      code: err.code,
      message: typeof err.message === 'string' ? err.message : '',
      constraint: typeof err.constraint === 'string' ? err.constraint : undefined,
    };
  }
  return null;
}

/** True for a unique violation (SQLSTATE 23505), optionally of one named constraint, however the driver stack wrapped it. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = postgresError(err);
  return e !== null && e.code === '23505' && (constraint === undefined || e.constraint === constraint);
}
