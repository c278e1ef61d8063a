export {
  ID_EPOCH_MS,
  TIME_BITS,
  SHARD_BITS,
  SEQUENCE_BITS,
  LOGICAL_SHARDS,
  SEQUENCES_PER_MS,
  composeId,
  decomposeId,
  logicalShardOf,
} from './idScheme';
export type { IdParts } from './idScheme';
export { parseId } from './parseId';
export { logicalShardForKey } from './logicalShardForKey';
export { ShardMap } from './ShardMap';
export type { PhysicalShard } from './ShardMap';
export { nextIdFunctionSql } from './nextIdFunctionSql';
