/**
 * What recipients chose not to hear. Blocks and mutes arrive with the chat-features work (the users and chats
 * services will own them); until then nobody has blocked or muted anyone, and these are the one place to plug the
 * real lists in (see `startNotifier`).
 */

/** Who blocked whom: a recipient who blocked the actor gets nothing from them. */
export interface BlockList {
  /** The recipients among `recipientIds` who blocked `actorId`. */
  blockedBy(actorId: bigint, recipientIds: readonly bigint[]): Promise<ReadonlySet<bigint>>;
}

/** Muted chats: a recipient who muted the chat only gets MENTIONs from it. */
export interface MuteList {
  /** The recipients among `recipientIds` who muted `chatId`. */
  mutedBy(chatId: bigint, recipientIds: readonly bigint[]): Promise<ReadonlySet<bigint>>;
}

const NOBODY: ReadonlySet<bigint> = new Set();

/** Until blocks exist: nobody blocked anyone. */
export const NO_BLOCKS: BlockList = { blockedBy: () => Promise.resolve(NOBODY) };

/** Until mutes exist: nobody muted any chat. */
export const NO_MUTES: MuteList = { mutedBy: () => Promise.resolve(NOBODY) };
