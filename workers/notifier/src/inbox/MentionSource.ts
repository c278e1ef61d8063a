import type { RelayedEvent } from '../relay/RelayedEvent';

/**
 * Which members of the event's chat its message names as `@username`: the mentions the chats service resolved at
 * send time (`StoredMentions`, what `startNotifier` uses).
 */
export interface MentionSource {
  /** The mentioned members (never empty-handed for lack of trying: a lookup failure rejects, so it is retried). */
  mentionedMembers(event: RelayedEvent): Promise<ReadonlySet<bigint>>;
}
