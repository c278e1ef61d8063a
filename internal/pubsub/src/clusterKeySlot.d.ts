// cluster-key-slot (the hash slot function ioredis uses) ships no types.
declare module 'cluster-key-slot' {
  /** The Redis Cluster hash slot (0-16383) of a key or shard channel, honouring `{hash tags}`. */
  function calculateSlot(key: string | Buffer): number;
  export = calculateSlot;
}
