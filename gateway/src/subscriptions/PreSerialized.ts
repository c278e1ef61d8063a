/**
 * A subscription result already serialized to JSON. The engine serializes each event once per group of identical
 * subscriptions; the WebSocket layer splices the JSON into each subscriber's `next` message instead of serializing
 * the same result again per subscriber.
 */
export const PRE_SERIALIZED = Symbol.for('chatgraph.preSerialized');

/** A result whose JSON is carried in {@link PRE_SERIALIZED}. Spreading it keeps the symbol property. */
export interface PreSerialized {
  [PRE_SERIALIZED]: string;
}

/** Wraps an already serialized result. */
export function preSerialized(json: string): PreSerialized {
  return { [PRE_SERIALIZED]: json };
}

/** The JSON of a pre-serialized result, or undefined for anything else. */
export function serializedJson(value: unknown): string | undefined {
  if (typeof value === 'object' && value !== null && PRE_SERIALIZED in value) {
    const json = (value as PreSerialized)[PRE_SERIALIZED];
    return typeof json === 'string' ? json : undefined;
  }
  return undefined;
}
