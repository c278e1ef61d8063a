import DataLoader from 'dataloader';
import type { ChatsStores } from '../context';
import type { ChatView, MemberRecord, MessageRecord, ReactionGroupRecord } from '../storage/records';

/**
 * The DataLoaders of one request (never shared between requests: results depend on the viewer and must not be
 * cached longer). Each batches its keys into one statement per shard. Writes prime them with what they return.
 */
export class ChatLoaders {
  /** A chat with the viewer's membership; null for an unknown chat. */
  readonly views: DataLoader<bigint, ChatView | null>;
  /** A chat's members. */
  readonly members: DataLoader<bigint, MemberRecord[]>;
  /** The viewer's unread count in a chat. */
  readonly unread: DataLoader<bigint, number>;
  /** A message by id; null when unknown. */
  readonly messages: DataLoader<bigint, MessageRecord | null>;
  /** A chat's newest message; null before the first. */
  readonly lastMessages: DataLoader<bigint, MessageRecord | null>;
  /** A message's reactions grouped by emoji, with whether the viewer reacted (a page of messages: one per shard). */
  readonly reactions: DataLoader<bigint, ReactionGroupRecord[]>;
  /** A chat's pinned messages, most recently pinned first. */
  readonly pinned: DataLoader<bigint, MessageRecord[]>;

  constructor(stores: Pick<ChatsStores, 'chats' | 'history' | 'reactions'>, viewerId: bigint | null) {
    const { chats } = stores;
    this.views = new DataLoader(async (ids) => {
      if (viewerId === null) return ids.map(() => null);
      const found = await chats.views(viewerId, ids);
      return ids.map((id) => found.get(id) ?? null);
    });
    this.members = new DataLoader(async (ids) => {
      const found = await chats.members(ids);
      return ids.map((id) => found.get(id) ?? []);
    });
    this.unread = new DataLoader(async (ids) => {
      if (viewerId === null) return ids.map(() => 0);
      const found = await chats.unreadCounts(viewerId, ids);
      return ids.map((id) => found.get(id) ?? 0);
    });
    this.messages = new DataLoader(async (ids) => {
      const found = await stores.history.byIds(ids);
      return ids.map((id) => found.get(id) ?? null);
    });
    this.lastMessages = new DataLoader(async (ids) => {
      const found = await chats.lastMessages(ids);
      return ids.map((id) => found.get(id) ?? null);
    });
    this.reactions = new DataLoader(async (ids) => {
      const found = await stores.reactions.groups(ids, viewerId);
      return ids.map((id) => found.get(id) ?? []);
    });
    this.pinned = new DataLoader(async (ids) => {
      const found = await stores.history.pinned(ids);
      return ids.map((id) => found.get(id) ?? []);
    });
  }

  /** Replaces what the loaders know about a chat after a write (or a chat-list read). */
  primeView(view: ChatView): void {
    this.views.clear(view.chat.id).prime(view.chat.id, view);
    if (view.unreadCount !== undefined) this.unread.clear(view.chat.id).prime(view.chat.id, view.unreadCount);
    else this.unread.clear(view.chat.id);
    this.lastMessages.clear(view.chat.id);
    if (view.lastMessage !== undefined) this.lastMessages.prime(view.chat.id, view.lastMessage);
    this.members.clear(view.chat.id);
    this.pinned.clear(view.chat.id);
  }
}
