/**
 * The Redis channel on which a subgraph announces, after the commit, that an entity's public fields changed, so every
 * gateway's entity cache forgets it. One channel per deployment namespace (`DB_NAME_PREFIX`: stacks that share a Redis
 * do not hear each other).
 */
export const entityChangesChannel = (namespace: string): string => `${namespace}:entity-changes`;

/** What is published on {@link entityChangesChannel}: the entity's type and id. */
export interface EntityChange {
  type: string;
  id: string;
}

/** Reads a message of {@link entityChangesChannel}; null for anything else. */
export function parseEntityChange(message: string): EntityChange | null {
  try {
    const value = JSON.parse(message) as Partial<EntityChange>;
    return typeof value.type === 'string' && typeof value.id === 'string' ? { type: value.type, id: value.id } : null;
  } catch {
    return null;
  }
}
