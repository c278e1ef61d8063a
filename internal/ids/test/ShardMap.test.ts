import { LOGICAL_SHARDS, ShardMap, composeId } from '../src';

describe('ShardMap', () => {
  it.each([1, 2, 3, 4, 7, 64, 4096])('routes every logical shard to exactly one of %i physical shards', (count) => {
    const map = ShardMap.even('chatgraph', 'chats', count);
    const hits = new Array<number>(count).fill(0);
    let previous = 0;
    for (let logical = 0; logical < LOGICAL_SHARDS; logical++) {
      const shard = map.forLogical(logical);
      expect(logical).toBeGreaterThanOrEqual(shard.from);
      expect(logical).toBeLessThanOrEqual(shard.to);
      // contiguous ranges: the physical index never goes back
      expect(shard.index).toBeGreaterThanOrEqual(previous);
      previous = shard.index;
      hits[shard.index]!++;
    }
    expect(hits.reduce((a, b) => a + b, 0)).toBe(LOGICAL_SHARDS);
    expect(Math.max(...hits) - Math.min(...hits)).toBeLessThanOrEqual(1);
  });

  it('names databases <prefix>_<service>_<index>', () => {
    expect(ShardMap.even('chatgraph', 'users', 2).shards.map((s) => s.database)).toEqual([
      'chatgraph_users_0',
      'chatgraph_users_1',
    ]);
  });

  it('refuses maps with holes, overlaps or out-of-order ranges', () => {
    const s = (index: number, from: number, to: number) => ({ index, database: `d${index}`, from, to });
    expect(() => new ShardMap([s(0, 0, 100), s(1, 102, 4095)])).toThrow(/not contiguous/);
    expect(() => new ShardMap([s(0, 0, 100), s(1, 100, 4095)])).toThrow(/not contiguous/);
    expect(() => new ShardMap([s(0, 0, 4094)])).toThrow(/covers/);
    expect(() => new ShardMap([])).toThrow();
  });

  it('routes ids by the logical shard inside them', () => {
    const map = ShardMap.even('chatgraph', 'chats', 4);
    const id = composeId({ timeMs: Date.now(), logicalShard: 3000, sequence: 5 });
    expect(map.shardFor(id).index).toBe(2);
  });
});
