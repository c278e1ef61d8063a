export { RedisEventBus } from './RedisEventBus';
export type { RedisEventBusOptions, PublishStats } from './RedisEventBus';
