/**
 * chatgraph ids: 64-bit, `42 bits milliseconds since ID_EPOCH_MS | 12 bits logical shard | 10 bits sequence`. The
 * layout is declared here once: this module decodes ids, and the Postgres function that generates them
 * (`chatgraph_next_id`) is rendered from the same constants by {@link nextIdFunctionSql}. In GraphQL an id is its
 * decimal string (see {@link parseId}).
 */

/** 2025-01-01T00:00:00Z: ids count milliseconds from here. */
export const ID_EPOCH_MS = 1735689600000n;
/** Bits of the time part (milliseconds since {@link ID_EPOCH_MS}): about 139 years. */
export const TIME_BITS = 42;
/** Bits of the logical shard. */
export const SHARD_BITS = 12;
/** Bits of the per-database sequence: ids per millisecond and database. */
export const SEQUENCE_BITS = 10;
/** Number of logical shards (2^{@link SHARD_BITS}). */
export const LOGICAL_SHARDS = 1 << SHARD_BITS;
/** Ids one database can make per millisecond (2^{@link SEQUENCE_BITS}). */
export const SEQUENCES_PER_MS = 1 << SEQUENCE_BITS;

const SHARD_SHIFT = BigInt(SEQUENCE_BITS);
const TIME_SHIFT = BigInt(SHARD_BITS + SEQUENCE_BITS);
const SHARD_MASK = BigInt(LOGICAL_SHARDS - 1);
const SEQUENCE_MASK = BigInt(SEQUENCES_PER_MS - 1);

/** The parts of an id. */
export interface IdParts {
  /** When the id was made (ms since the Unix epoch). */
  timeMs: number;
  logicalShard: number;
  sequence: number;
}

/** Builds an id from its parts (used by tests and tools; live ids come from Postgres). */
export function composeId(parts: IdParts): bigint {
  if (!Number.isInteger(parts.logicalShard) || parts.logicalShard < 0 || parts.logicalShard >= LOGICAL_SHARDS)
    throw new RangeError(`logical shard ${parts.logicalShard} out of range 0..${LOGICAL_SHARDS - 1}`);
  if (!Number.isInteger(parts.sequence) || parts.sequence < 0 || parts.sequence >= SEQUENCES_PER_MS)
    throw new RangeError(`sequence ${parts.sequence} out of range 0..${SEQUENCES_PER_MS - 1}`);
  const t = BigInt(parts.timeMs) - ID_EPOCH_MS;
  if (t < 0n || t >= 1n << BigInt(TIME_BITS)) throw new RangeError(`time ${parts.timeMs} outside the id range`);
  return (t << TIME_SHIFT) | (BigInt(parts.logicalShard) << SHARD_SHIFT) | BigInt(parts.sequence);
}

/** Splits an id into its parts. */
export function decomposeId(id: bigint): IdParts {
  return {
    timeMs: Number((id >> TIME_SHIFT) + ID_EPOCH_MS),
    logicalShard: logicalShardOf(id),
    sequence: Number(id & SEQUENCE_MASK),
  };
}

/** The logical shard an id belongs to. */
export function logicalShardOf(id: bigint): number {
  return Number((id >> SHARD_SHIFT) & SHARD_MASK);
}
