/**
 * A subscription result already serialized to JSON. The engine serializes each event once per group of identical
 * subscriptions; the WebSocket layer writes that JSON into each subscriber's `next` message instead of serializing
 * the same result again per subscriber (see DirectNextWriter).
 */
export const PRE_SERIALIZED = Symbol.for('chatgraph.preSerialized');
/** The UTF-8 bytes of the JSON, encoded once on first use and shared by every subscriber of the group. */
const UTF8 = Symbol('chatgraph.preSerialized.utf8');

/** A result whose JSON is carried in {@link PRE_SERIALIZED}. Spreading it keeps the symbol property. */
export interface PreSerialized {
  [PRE_SERIALIZED]: string;
  [UTF8]?: Buffer;
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

/** The JSON of a pre-serialized result as UTF-8, encoded on the first call and kept with the result. */
export function serializedBytes(value: PreSerialized): Buffer {
  return (value[UTF8] ??= Buffer.from(value[PRE_SERIALIZED], 'utf8'));
}
