import { parseId } from '@chatgraph/ids';
import { badInput } from '@chatgraph/errors';
import type { Presence } from '../storage/Presence';
import type { PresenceContext } from './PresenceContext';

/** The part of a `User` this subgraph knows: its key. */
export interface UserReference {
  id: string;
}

/** `User` entity fields contributed by presence. */
export const User = {
  // Async so that a malformed id fails its own entry of `_entities` only, not the whole batch.
  async __resolveReference(reference: UserReference): Promise<UserReference> {
    if (parseId(reference.id) === null) throw badInput('id', `Not a valid user id: ${JSON.stringify(reference.id)}.`);
    return { id: reference.id };
  },

  /** Batched per request: all `presence` fields of one request tick cost one Redis round trip. */
  presence(user: UserReference, _args: unknown, context: PresenceContext): Promise<Presence> {
    return context.presence.load(user.id);
  },
};
