/**
 * chatgraph ids: 64-bit, `42 bits milliseconds since ID_EPOCH_MS | 12 bits logical shard | 10 bits sequence`.
 * Generated in Postgres by `chatgraph_next_id(logical_shard)` (see the init migrations); decoded here. In GraphQL an
 * id is its decimal string.
 */

/** 2025-01-01T00:00:00Z: ids count milliseconds from here. Must match the SQL function. */
export const ID_EPOCH_MS = 1735689600000n;
/** Number of logical shards (12 bits). */
export const LOGICAL_SHARDS = 4096;
const SHARD_BITS = 12n;
const SEQ_BITS = 10n;
const MAX_ID = (1n << 63n) - 1n;

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
  if (!Number.isInteger(parts.sequence) || parts.sequence < 0 || parts.sequence >= 1024)
    throw new RangeError(`sequence ${parts.sequence} out of range 0..1023`);
  const t = BigInt(parts.timeMs) - ID_EPOCH_MS;
  if (t < 0n || t >= 1n << 42n) throw new RangeError(`time ${parts.timeMs} outside the id range`);
  return (t << (SHARD_BITS + SEQ_BITS)) | (BigInt(parts.logicalShard) << SEQ_BITS) | BigInt(parts.sequence);
}

/** Splits an id into its parts. */
export function decomposeId(id: bigint): IdParts {
  return {
    timeMs: Number((id >> (SHARD_BITS + SEQ_BITS)) + ID_EPOCH_MS),
    logicalShard: Number((id >> SEQ_BITS) & 0xfffn),
    sequence: Number(id & 0x3ffn),
  };
}

/** The logical shard an id belongs to. */
export function logicalShardOf(id: bigint): number {
  return Number((id >> SEQ_BITS) & 0xfffn);
}

/**
 * Parses a GraphQL `ID` (decimal string) into an id; returns null when it is not one (not decimal, out of range,
 * leading zeros). Callers turn null into a `BAD_USER_INPUT` error naming the argument.
 */
export function parseId(value: unknown): bigint | null {
  if (typeof value !== 'string' || !/^[1-9][0-9]{0,18}$/.test(value)) return null;
  const id = BigInt(value);
  return id <= MAX_ID ? id : null;
}

/** A 32-bit FNV-1a hash of a string, mapped to a logical shard: where keyed directories (usernames, pairs) live. */
export function logicalShardForKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % LOGICAL_SHARDS;
}
