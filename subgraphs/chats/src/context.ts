import type { BaseSubgraphContext } from '@chatgraph/service';
import type { ChatLoaders } from './loaders/ChatLoaders';
import type { ChatStore } from './storage/ChatStore';
import type { ChatContacts } from './storage/ChatContacts';
import type { EventPublisher } from './live/EventPublisher';
import type { MembershipStore } from './storage/MembershipStore';
import type { MessageStore } from './storage/MessageStore';
import type { MessageHistory } from './storage/MessageHistory';
import type { MessageSearch } from './storage/MessageSearch';
import type { DirectChats } from './policy/DirectChats';
import type { ReactionStore } from './storage/Reactions';
import type { TypingLimiter } from './policy/TypingLimiter';
import type { TypingExpiry } from './policy/TypingExpiry';
import type { UserDirectory } from './users/UserDirectory';
import type { ChatsClient, ShardedDatabase } from '@chatgraph/db';
import type { RateLimits } from '@chatgraph/ratelimit';

/** The long-lived storage objects of one chats process (shared by all requests). */
export interface ChatsStores {
  db: ShardedDatabase<ChatsClient>;
  chats: ChatStore;
  messages: MessageStore;
  /** Reads of messages: by id, history and thread pages, pins. */
  history: MessageHistory;
  reactions: ReactionStore;
  search: MessageSearch;
  directChats: DirectChats;
  memberships: MembershipStore;
  publisher: EventPublisher;
  /** Existence checks and username lookups against the users subgraph. */
  users: UserDirectory;
  /** Who shares a chat with whom (presence asks). */
  contacts: ChatContacts;
}

/** What every chats resolver receives: the verified identity, the stores, the limits and this request's loaders. */
export interface ChatsContext extends BaseSubgraphContext {
  stores: ChatsStores;
  loaders: ChatLoaders;
  /** sendMessage, createGroupChat and addMembers limits, shared with every chats instance through Redis. */
  limits: RateLimits;
  typing: TypingLimiter;
  /** Ends `typing: true` states that are not renewed. */
  typingExpiry: TypingExpiry;
}
