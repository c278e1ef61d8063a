/**
 * What recipients chose not to hear: blocks (kept by the users service) and mutes (kept by the chats service); the
 * real lists are in `ChatFeatureFilters`, plugged in by `startNotifier`. `NO_BLOCKS` and `NO_MUTES` are for tests.
 */

import type { BlockList } from '@chatgraph/pubsub';

/** Who blocked whom: a recipient who blocked the actor gets nothing from them. */
export type { BlockList };

/** Muted chats: a recipient who muted the chat only gets MENTIONs from it. */
export interface MuteList {
  /** The recipients among `recipientIds` who muted `chatId`. */
  mutedBy(chatId: bigint, recipientIds: readonly bigint[]): Promise<ReadonlySet<bigint>>;
  /**
   * The recipients among `recipientIds` who are members of `chatId` now (read with the mutes); without it, nobody is
   * taken for a member (a live notification then carries no message: the gateway fetches it, as the recipient).
   */
  membersOf?(chatId: bigint, recipientIds: readonly bigint[]): Promise<ReadonlySet<bigint>>;
}

/** The empty set of recipients (shared: never modified). */
export const NOBODY: ReadonlySet<bigint> = new Set();

/** Nobody blocked anyone (tests). */
export const NO_BLOCKS: BlockList = { blockedBy: () => Promise.resolve(NOBODY) };

/** Nobody muted any chat (tests). */
export const NO_MUTES: MuteList = { mutedBy: () => Promise.resolve(NOBODY) };
