import { postgresError } from '@chatgraph/service';

// What a failed statement says about the request. (Outages are not handled here: every subgraph maps them to
// SERVICE_UNAVAILABLE in createSubgraphServer.) The SQLSTATE is read by the shared `postgresError`, which knows how
// Prisma wraps driver errors.

/** True for failures that a retry of the whole transaction can cure (deadlock, serialization failure). */
export function isRetryableTransactionError(err: unknown): boolean {
  const e = postgresError(err);
  if (e) return e.code === '40P01' || e.code === '40001';
  // Prisma reports a transaction it had to abort by its own code.
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'P2034';
}
