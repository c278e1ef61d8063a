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

  /**
   * Null unless the viewer may see it (their own, or a user they share a chat with): no error, so a page of messages
   * reads the same whoever wrote it. Batched per request: the access check costs at most one call to chats, and all
   * `presence` fields of one request tick one Redis round trip.
   */
  async presence(user: UserReference, _args: unknown, context: PresenceContext): Promise<Presence | null> {
    if (context.viewerId === null || !(await context.visible.load(user.id))) return null;
    return context.presence.load(user.id);
  },
};
