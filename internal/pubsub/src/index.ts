export { RedisEventBus } from './RedisEventBus';
export type { RedisEventBusOptions, PublishStats } from './RedisEventBus';
export { createFailFastRedis } from './createFailFastRedis';
export type { FailFastRedisOptions } from './createFailFastRedis';
export { entityChangesChannel, parseEntityChange } from './entityChanges';
export type { EntityChange } from './entityChanges';
