/**
 * The channel on which, on a Redis Cluster, the chats service announces that a chats shard (by database name) committed
 * events, so the notifier's relay of that shard reads its log at once. On a single Redis the notifier listens to the
 * chats' own channels with the pattern `chat:*` instead; sharded pub/sub has no patterns, hence one named channel
 * per shard.
 */
export const relayWakeupChannel = (shardDatabase: string): string => `relay-wakeup:${shardDatabase}`;
