import type { RelayedEvent } from '../relay/RelayedEvent';

/**
 * Which members of the event's chat its message names as `@username`: the mentions the chats service resolved at
 * send time (`StoredMentions`, what `startNotifier` uses), or the worker's own lookup of the names
 * (`UsernameMentions`, for a chats database without them).
 */
export interface MentionSource {
  /** The mentioned members (never empty-handed for lack of trying: a lookup failure rejects, so it is retried). */
  mentionedMembers(event: RelayedEvent): Promise<ReadonlySet<bigint>>;
}

/** Most distinct names looked up per message (a message naming more notifies the first ones). */
export const MAX_MENTIONS = 20;

/** The distinct usernames a text names as `@username`, in lower case, in order of appearance. */
export function mentionedUsernames(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(/(?<![A-Za-z0-9_@])@([A-Za-z0-9_]{3,32})(?![A-Za-z0-9_])/g)) {
    names.add(match[1]!.toLowerCase());
    if (names.size === MAX_MENTIONS) break;
  }
  return [...names];
}
