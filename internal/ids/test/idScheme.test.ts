import { composeId, decomposeId, logicalShardForKey, logicalShardOf, parseId } from '../src';

describe('id scheme', () => {
  it('round-trips time, logical shard and sequence', () => {
    const parts = { timeMs: Date.UTC(2026, 10, 28, 12, 0, 0, 123), logicalShard: 4095, sequence: 1023 };
    const id = composeId(parts);
    expect(decomposeId(id)).toEqual(parts);
    expect(logicalShardOf(id)).toBe(4095);
    expect(composeId({ ...parts, logicalShard: 0, sequence: 0 }) < id).toBe(true);
  });

  it('orders ids by time first', () => {
    const a = composeId({ timeMs: Date.UTC(2026, 0, 1), logicalShard: 4095, sequence: 1023 });
    const b = composeId({ timeMs: Date.UTC(2026, 0, 1) + 1, logicalShard: 0, sequence: 0 });
    expect(a < b).toBe(true);
  });

  it('rejects parts out of range', () => {
    expect(() => composeId({ timeMs: Date.now(), logicalShard: 4096, sequence: 0 })).toThrow(RangeError);
    expect(() => composeId({ timeMs: Date.now(), logicalShard: 0, sequence: 1024 })).toThrow(RangeError);
    expect(() => composeId({ timeMs: 0, logicalShard: 0, sequence: 0 })).toThrow(RangeError);
  });

  it('parses GraphQL ids strictly', () => {
    expect(parseId('123')).toBe(123n);
    expect(parseId('9223372036854775807')).toBe(9223372036854775807n);
    for (const bad of ['', '0', '-1', '01', '1.5', 'abc', '9223372036854775808', '99999999999999999999', 12, null]) {
      expect(parseId(bad)).toBeNull();
    }
  });
});

describe('logicalShardForKey', () => {
  it('keeps placing keys where existing directory rows were written', () => {
    // Pinned: a different hash would look for existing usernames and direct chats on the wrong shards.
    expect(['alice', 'bob', '1:2'].map(logicalShardForKey)).toEqual([999, 212, 160]);
  });
});
