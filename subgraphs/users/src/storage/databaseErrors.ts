import { UsersPrisma } from '@chatgraph/db';

// Outages (an unreachable shard) are not handled here: every subgraph maps them to SERVICE_UNAVAILABLE in
// createSubgraphServer. These are the errors that say something about the request.

/** True for a unique-constraint (primary key) violation. */
export function isUniqueViolation(err: unknown): boolean {
  return err instanceof UsersPrisma.PrismaClientKnownRequestError && err.code === 'P2002';
}

/** True when an update or delete found no row. */
export function isRecordNotFound(err: unknown): boolean {
  return err instanceof UsersPrisma.PrismaClientKnownRequestError && err.code === 'P2025';
}
