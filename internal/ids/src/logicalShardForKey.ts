import { LOGICAL_SHARDS } from './idScheme';

/**
 * A 32-bit FNV-1a hash of a string, mapped to a logical shard: where keyed directories (usernames, user pairs of
 * direct chats) live. Changing it would strand existing directory rows on the wrong shard.
 */
export function logicalShardForKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % LOGICAL_SHARDS;
}
