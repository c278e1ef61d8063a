import { LOGICAL_SHARDS, logicalShardOf } from './idScheme';

/** One physical shard: a database and the contiguous range of logical shards it holds. */
export interface PhysicalShard {
  index: number;
  database: string;
  /** First logical shard held (inclusive). */
  from: number;
  /** Last logical shard held (inclusive). */
  to: number;
}

/**
 * Maps the 4096 logical shards onto physical databases in contiguous ranges. Resharding moves whole ranges (whole
 * logical shards); a row never changes its logical shard, which is part of its id.
 */
export class ShardMap {
  private readonly byLogical: Uint16Array;

  /** @param shards physical shards whose ranges cover 0..4095 exactly once, in order. */
  constructor(readonly shards: readonly PhysicalShard[]) {
    if (shards.length === 0) throw new Error('a shard map needs at least one physical shard');
    this.byLogical = new Uint16Array(LOGICAL_SHARDS);
    let next = 0;
    for (const [i, s] of shards.entries()) {
      if (s.index !== i) throw new Error(`physical shard ${s.database} has index ${s.index}, expected ${i}`);
      if (s.from !== next || s.to < s.from)
        throw new Error(`physical shard ${s.database}: range ${s.from}-${s.to} is not contiguous`);
      this.byLogical.fill(i, s.from, s.to + 1);
      next = s.to + 1;
    }
    if (next !== LOGICAL_SHARDS) throw new Error(`the shard map covers logical shards 0..${next - 1}, not 0..4095`);
  }

  /** Even split of the logical shards over `count` databases named `<prefix>_<service>_<i>`. */
  static even(prefix: string, service: string, count: number): ShardMap {
    const shards: PhysicalShard[] = [];
    for (let i = 0; i < count; i++) {
      shards.push({
        index: i,
        database: `${prefix}_${service}_${i}`,
        from: Math.floor((i * LOGICAL_SHARDS) / count),
        to: Math.floor(((i + 1) * LOGICAL_SHARDS) / count) - 1,
      });
    }
    return new ShardMap(shards);
  }

  /** The physical shard holding a logical shard. */
  forLogical(logicalShard: number): PhysicalShard {
    if (!Number.isInteger(logicalShard) || logicalShard < 0 || logicalShard >= LOGICAL_SHARDS)
      throw new RangeError(`logical shard ${logicalShard} out of range`);
    return this.shards[this.byLogical[logicalShard]!]!;
  }

  /** The physical shard holding the row with this id. */
  shardFor(id: bigint): PhysicalShard {
    return this.forLogical(logicalShardOf(id));
  }
}
