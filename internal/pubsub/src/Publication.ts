/** One message of a batch (see `RedisEventBus.publishMany`). */
export interface Publication {
  topic: string;
  /** Serialized as JSON; a payload object given for several topics is serialized once. */
  payload: unknown;
}
