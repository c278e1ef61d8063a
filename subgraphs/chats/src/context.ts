import type { BaseSubgraphContext } from '@chatgraph/service';
import type { ChatLoaders } from './loaders/ChatLoaders';
import type { ChatStore } from './storage/ChatStore';
import type { ChatContacts } from './storage/ChatContacts';
import type { EventPublisher } from './live/EventPublisher';
import type { MembershipStore } from './storage/MembershipStore';
import type { MessageStore } from './storage/MessageStore';
import type { TypingLimiter } from './policy/TypingLimiter';
import type { ChatsClient, ShardedDatabase } from '@chatgraph/db';

/** The long-lived storage objects of one chats process (shared by all requests). */
export interface ChatsStores {
  db: ShardedDatabase<ChatsClient>;
  chats: ChatStore;
  messages: MessageStore;
  memberships: MembershipStore;
  publisher: EventPublisher;
  typing: TypingLimiter;
  /** Who shares a chat with whom (presence asks). */
  contacts: ChatContacts;
}

/** What every chats resolver receives: the verified identity, the stores and this request's loaders. */
export interface ChatsContext extends BaseSubgraphContext {
  stores: ChatsStores;
  loaders: ChatLoaders;
}
