// Over 350 lines: one typed method per operation of the public API, each a few lines; the file is long because the API is.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { BackoffOptions } from './backoff.ts';
import type { CallOptions } from './CallOptions.ts';
import { ChatGraphError } from './ChatGraphError.ts';
import { ChatHandle } from './ChatHandle.ts';
import { IntegrationsClient } from './IntegrationsClient.ts';
import { NotificationsClient } from './NotificationsClient.ts';
import {
  MyReadReceiptsDocument,
  ReadReceiptsDocument,
  type ReadReceiptsSubscriptionVariables,
  BanMemberDocument,
  BlockUserDocument,
  MuteChatDocument,
  MyBlockedUsersDocument,
  UnbanMemberDocument,
  UnblockUserDocument,
  UnmuteChatDocument,
  type BanMemberMutationVariables,
  type BlockUserMutationVariables,
  type MuteChatMutationVariables,
  AddMembersDocument,
  AddReactionDocument,
  MessageDocument,
  MessageRepliesDocument,
  PinMessageDocument,
  PinnedMessagesDocument,
  RemoveReactionDocument,
  SearchMessagesDocument,
  UnpinMessageDocument,
  ChatDocument,
  ChatEventsDocument,
  ChatListDocument,
  ChatEventsSinceDocument,
  ChatLastSeqDocument,
  ChatMessagesDocument,
  CreateDirectChatDocument,
  CreateGroupChatDocument,
  DeleteAccountDocument,
  DeleteMessageDocument,
  EditMessageDocument,
  GoOfflineDocument,
  HeartbeatDocument,
  LeaveChatDocument,
  LogInDocument,
  LogOutDocument,
  LogOutEverywhereDocument,
  MarkReadDocument,
  MeDocument,
  MyChatActivityDocument,
  MyChatsDocument,
  PresenceChangedDocument,
  RefreshSessionDocument,
  RemoveMemberDocument,
  RenameChatDocument,
  SendMessageDocument,
  SetTypingDocument,
  SignUpDocument,
  TypingDocument,
  UpdateProfileDocument,
  UpdateEmailDocument,
  MyEmailDocument,
  UserByUsernameDocument,
  UserDocument,
  type AddMembersMutationVariables,
  type AddReactionMutationVariables,
  type MessageRepliesQuery,
  type MessageRepliesQueryVariables,
  type PinMessageMutationVariables,
  type RemoveReactionMutationVariables,
  type SearchMessagesQuery,
  type SearchMessagesQueryVariables,
  type ChatEventsSinceQueryVariables,
  type ChatListQueryVariables,
  type ChatMessagesQuery,
  type ChatMessagesQueryVariables,
  type ChatQueryVariables,
  type CreateDirectChatMutationVariables,
  type CreateGroupChatMutationVariables,
  type DeleteAccountMutationVariables,
  type DeleteMessageMutationVariables,
  type EditMessageMutationVariables,
  type HeartbeatMutationVariables,
  type LeaveChatMutationVariables,
  type LogInMutationVariables,
  type MarkReadMutationVariables,
  type MyChatsQueryVariables,
  type PresenceChangedSubscriptionVariables,
  type RefreshSessionMutationVariables,
  type RemoveMemberMutationVariables,
  type RenameChatMutationVariables,
  type SendMessageMutationVariables,
  type SetTypingMutationVariables,
  type SignUpMutationVariables,
  type TypingSubscriptionVariables,
  type UpdateProfileMutationVariables,
  type UserByUsernameQueryVariables,
  type UserQueryVariables,
} from './generated/graphql.ts';
import { HeartbeatLoop, type HeartbeatOptions } from './HeartbeatLoop.ts';
import { HttpExecutor, type FetchLike, type GraphQLResult, type TokenGetter } from './HttpExecutor.ts';
import { LiveConnection } from './LiveConnection.ts';
import { liveOperation, LiveStream, type LiveHandlers, type LiveStreamOptions } from './LiveStream.ts';
import { newClientMessageId } from './newClientMessageId.ts';
import { retryTransient, type RetryOptions } from './retryTransient.ts';
import { SessionManager, type Session, type SessionOptions } from './SessionManager.ts';
import { TypingThrottle, type TypingThrottleOptions } from './TypingThrottle.ts';
import type {
  EmailStatus,
  AuthPayload,
  ChatActivity,
  ChatDetails,
  ChatEvent,
  ChatListPage,
  ChatPage,
  ChatSummary,
  Message,
  OwnReadReceipt,
  Presence,
  PresenceEvent,
  ReadReceipt,
  TypingEvent,
  User,
  UserWithPresence,
} from './types.ts';

/** Options of {@link createChatClient}. */
export interface ChatClientOptions {
  /** The gateway's GraphQL URL over HTTP, e.g. `https://chat.example.com/graphql`. */
  url: string;
  /** The gateway's WebSocket URL. @default `url` with `http` replaced by `ws` */
  wsUrl?: string;
  /**
   * For apps that manage tokens themselves: returns the access token to send (or null when signed out). Called for
   * every HTTP request and for every new WebSocket, so a token that was refreshed is picked up; when the gateway closes
   * the socket because the token expired, it is called again and the streams resume on the new socket. Give either
   * this or `session`; with neither the client is signed out (only `signUp`, `logIn` and public lookups work).
   */
  getToken?: TokenGetter;
  /**
   * Lets the client manage the session: `signUp` and `logIn` start it, the access token is refreshed shortly before it
   * expires and once more when the server refuses it, live streams resume after a refresh, and `logOut` ends it.
   * Persist the refresh token through `onSession` to stay signed in across restarts.
   */
  session?: SessionOptions;
  /** @default globalThis.fetch */
  fetch?: FetchLike;
  /** A WebSocket class when there is no global one (Node 20: `import WebSocket from 'ws'`). @default globalThis.WebSocket */
  webSocketImpl?: unknown;
  /** Retries of `sendMessage` after network failures (always with the same `clientMessageId`). */
  retry?: RetryOptions;
  /** Delays between reconnects of live streams. */
  reconnect?: BackoffOptions;
  /** Throttling of `chat(id).setTyping()`. */
  typing?: Omit<TypingThrottleOptions, 'now'>;
  /** Ping the server after this long without traffic on the WebSocket. @default 10000 */
  keepAliveMs?: number;
  /** Drop (and reconnect) the WebSocket when a ping gets no pong within this time. @default 5000 */
  pongTimeoutMs?: number;
  /**
   * Send each operation's sha256 hash (Apollo's persisted-query extension) instead of its text, over HTTP and
   * WebSocket: smaller requests, and the way to talk to a gateway that only runs trusted documents
   * (`TRUSTED_DOCUMENTS=require`). The SDK's operations are in its manifest (`generated/persisted-documents.json`);
   * over HTTP, a hash the gateway does not know is answered by sending the document once. Needs Web Crypto (any
   * browser page served over HTTPS or localhost, Node 20). @default false
   */
  persistedDocuments?: boolean;
}

/** `sendMessage` variables: `clientMessageId` is generated when absent. */
export type SendMessageInput = Omit<SendMessageMutationVariables, 'clientMessageId'> & { clientMessageId?: string };

/** Options of {@link ChatClient.chatEvents}. */
export interface ChatEventsOptions {
  /** Delays between reconnects (overrides the client's `reconnect`). */
  reconnect?: BackoffOptions;
}

/** Options of the non-resumable live streams (typing, presence, activity). */
export interface LiveOptions {
  /** Delays between reconnects (overrides the client's `reconnect`). */
  reconnect?: BackoffOptions;
}

/**
 * Creates a chatgraph client: a typed method per operation of the API over HTTP, and live streams over one lazily
 * opened WebSocket. Close it with `close()`.
 *
 * @example
 * const client = createChatClient({ url: 'http://127.0.0.1:4000/graphql', getToken: () => token });
 */
export function createChatClient(options: ChatClientOptions): ChatClient {
  return new ChatClient(options);
}

/** The chatgraph client; see {@link createChatClient}. */
export class ChatClient {
  private readonly http: HttpExecutor;
  /** Requests sent without a token whatever the session (signUp, logIn, refreshSession). */
  private readonly anonymous: HttpExecutor;
  private readonly sessions: SessionManager | undefined;
  private readonly live: LiveConnection;
  private readonly streams = new Set<{ close(): void }>();
  private readonly throttles = new Map<string, TypingThrottle>();
  private readonly heartbeats = new Set<HeartbeatLoop>();
  private closed = false;
  private notificationsClient: NotificationsClient | undefined;
  private integrationsClient: IntegrationsClient | undefined;

  constructor(private readonly options: ChatClientOptions) {
    if (options.getToken && options.session)
      throw new TypeError('Give createChatClient either getToken (tokens managed by the app) or session, not both.');
    const fetchImpl = options.fetch ?? ((input: string, init: RequestInit) => globalThis.fetch(input, init));
    this.anonymous = new HttpExecutor({
      url: options.url,
      getToken: () => null,
      fetch: fetchImpl,
      persistedDocuments: options.persistedDocuments,
    });
    const sessions = options.session
      ? new SessionManager(
          (refreshToken) =>
            this.field(RefreshSessionDocument, { refreshToken }, 'refreshSession', { http: this.anonymous }),
          options.session,
        )
      : undefined;
    this.sessions = sessions;
    const getToken: TokenGetter = sessions ? () => sessions.getToken() : (options.getToken ?? (() => null));
    const renew = sessions && ((rejected: string) => sessions.renew(rejected));
    this.http = new HttpExecutor({
      url: options.url,
      getToken,
      fetch: fetchImpl,
      renew,
      persistedDocuments: options.persistedDocuments,
    });
    this.live = new LiveConnection({
      url: options.wsUrl ?? options.url.replace(/^http/, 'ws'),
      getToken,
      renew,
      webSocketImpl: options.webSocketImpl,
      keepAliveMs: options.keepAliveMs,
      pongTimeoutMs: options.pongTimeoutMs,
      persistedDocuments: options.persistedDocuments,
    });
  }

  // ---- any operation -------------------------------------------------------------------------------------------

  /**
   * Runs any query or mutation (e.g. one of the exported `...Document`s, or a document of your own) and returns the
   * whole GraphQL response, partial data and errors included. Rejects only with `NETWORK_ERROR` / `BAD_RESPONSE`.
   */
  async request<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
    options: CallOptions = {},
  ): Promise<GraphQLResult<TData>> {
    return (await this.http.execute(document, variables, options.signal)).result;
  }

  /**
   * Runs any subscription as a live stream that reconnects by itself (without resume: use `chatEvents` for that).
   * `next` receives each result's `data`.
   */
  subscribe<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
    handlers: LiveHandlers<TData>,
    options: LiveOptions = {},
  ): LiveStream<TData> {
    return this.stream(
      {
        operation: liveOperation(
          document,
          () => variables,
          (data) => data,
        ),
        backoff: options.reconnect,
      },
      handlers,
    );
  }

  // ---- users ---------------------------------------------------------------------------------------------------

  /** Creates an account and signs it in (sent without a token; with `session`, the client is signed in after). */
  async signUp(variables: SignUpMutationVariables, options: CallOptions = {}): Promise<AuthPayload> {
    return this.started(await this.field(SignUpDocument, variables, 'signUp', { ...options, http: this.anonymous }));
  }

  /** Signs in (sent without a token; with `session`, the client is signed in after). */
  async logIn(variables: LogInMutationVariables, options: CallOptions = {}): Promise<AuthPayload> {
    return this.started(await this.field(LogInDocument, variables, 'logIn', { ...options, http: this.anonymous }));
  }

  /** With `session`: the current session (null while signed out, and before a stored refresh token was first used). */
  get session(): Session | null {
    return this.sessions?.current ?? null;
  }

  /** With `session`: true while signed in (the client holds a refresh token). */
  get signedIn(): boolean {
    return this.sessions?.signedIn ?? false;
  }

  /**
   * Exchanges a refresh token for new tokens (the one given stops working). With `session` and no argument, refreshes
   * the client's own session (the client does so by itself when needed; that refresh is shared by every request waiting
   * for it, so `options.signal` does not cancel it).
   */
  async refreshSession(variables?: RefreshSessionMutationVariables, options: CallOptions = {}): Promise<Session> {
    if (!variables) {
      if (!this.sessions) throw new TypeError('refreshSession() needs a refreshToken unless the client has `session`.');
      return this.sessions.refreshSession();
    }
    return this.started(
      await this.field(RefreshSessionDocument, variables, 'refreshSession', { ...options, http: this.anonymous }),
    );
  }

  /** Ends this session on the server (its tokens stop working on every gateway); with `session`, also here. */
  logOut(options: CallOptions = {}): Promise<boolean> {
    return this.ending(() => this.field(LogOutDocument, {}, 'logOut', options));
  }

  /** Ends every session of the viewer, on every device; with `session`, this client is signed out too. */
  logOutEverywhere(options: CallOptions = {}): Promise<boolean> {
    return this.ending(() => this.field(LogOutEverywhereDocument, {}, 'logOutEverywhere', options));
  }

  /** Deletes the viewer's account (INVALID_CREDENTIALS for a wrong password) and ends every session. */
  async deleteAccount(variables: DeleteAccountMutationVariables, options: CallOptions = {}): Promise<boolean> {
    const deleted = await this.field(DeleteAccountDocument, variables, 'deleteAccount', options);
    this.sessions?.end();
    return deleted;
  }

  /** Changes the viewer's display name. */
  updateProfile(variables: UpdateProfileMutationVariables, options: CallOptions = {}): Promise<User> {
    return this.field(UpdateProfileDocument, variables, 'updateProfile', options);
  }

  /**
   * Sets the viewer's email address ('' removes it). A new address is unverified: a link is emailed to it, and
   * missed-message emails go to it only once the link was opened. Needs a password session (FORBIDDEN for API tokens).
   */
  updateEmail(email: string): Promise<EmailStatus> {
    return this.field(UpdateEmailDocument, { email }, 'updateProfile');
  }

  /** The viewer's email address and whether it is verified (null if the account no longer exists). */
  emailStatus(): Promise<EmailStatus | null> {
    return this.field(MyEmailDocument, {}, 'me');
  }

  /** The viewer, with presence (null if the account no longer exists). */
  me(options: CallOptions = {}): Promise<UserWithPresence | null> {
    return this.field(MeDocument, {}, 'me', options);
  }

  /** A user by id, with presence (null if there is none). */
  user(variables: UserQueryVariables, options: CallOptions = {}): Promise<UserWithPresence | null> {
    return this.field(UserDocument, variables, 'user', options);
  }

  /** A user by username (any case), with presence (null if there is none). */
  userByUsername(variables: UserByUsernameQueryVariables, options: CallOptions = {}): Promise<UserWithPresence | null> {
    return this.field(UserByUsernameDocument, variables, 'userByUsername', options);
  }

  // ---- chats ---------------------------------------------------------------------------------------------------

  /** A chat with its members (FORBIDDEN for non-members, NOT_FOUND if there is none). */
  getChat(variables: ChatQueryVariables, options: CallOptions = {}): Promise<ChatDetails | null> {
    return this.field(ChatDocument, variables, 'chat', options);
  }

  /** The chat's newest `seq` (where a live stream that wants only new events starts). */
  async chatLastSeq(variables: { id: string }, options: CallOptions = {}): Promise<number> {
    const chat = await this.field(ChatLastSeqDocument, variables, 'chat', options);
    if (!chat) throw new ChatGraphError('NOT_FOUND', `There is no chat ${variables.id}.`);
    return chat.lastSeq;
  }

  /**
   * A page of a chat's history, oldest first within the page: the newest 50 by default, `last`/`before` to page back,
   * `first`/`after` to page forward.
   */
  chatMessages(variables: ChatMessagesQueryVariables, options: CallOptions = {}): Promise<ChatMessagesQuery['chat']> {
    return this.field(ChatMessagesDocument, variables, 'chat', options);
  }

  /** The viewer's chats, most recent activity first. */
  myChats(variables: MyChatsQueryVariables = {}, options: CallOptions = {}): Promise<ChatPage> {
    return this.field(MyChatsDocument, variables, 'myChats', options);
  }

  /**
   * The viewer's chats as a chat list shows them, most recent activity first: each with its newest message and its
   * members with their presence (one request; heavier than `myChats` for large groups).
   */
  chatList(variables: ChatListQueryVariables = {}, options: CallOptions = {}): Promise<ChatListPage> {
    return this.field(ChatListDocument, variables, 'myChats', options);
  }

  /** The chat's events after `afterSeq`, in seq order (at most `limit`, 100 by default). */
  chatEventsSince(variables: ChatEventsSinceQueryVariables, options: CallOptions = {}): Promise<ChatEvent[]> {
    return this.field(ChatEventsSinceDocument, variables, 'chatEventsSince', options);
  }

  /** The direct chat with `userId`, created if there is none. */
  createDirectChat(variables: CreateDirectChatMutationVariables, options: CallOptions = {}): Promise<ChatDetails> {
    return this.field(CreateDirectChatDocument, variables, 'createDirectChat', options);
  }

  /** Creates a group chat owned by the viewer. */
  createGroupChat(variables: CreateGroupChatMutationVariables, options: CallOptions = {}): Promise<ChatDetails> {
    return this.field(CreateGroupChatDocument, variables, 'createGroupChat', options);
  }

  /** Adds users to a group chat (owner and admins). */
  addMembers(variables: AddMembersMutationVariables, options: CallOptions = {}): Promise<ChatDetails> {
    return this.field(AddMembersDocument, variables, 'addMembers', options);
  }

  /** Removes a member from a group chat (owner and admins). */
  removeMember(variables: RemoveMemberMutationVariables, options: CallOptions = {}): Promise<ChatDetails> {
    return this.field(RemoveMemberDocument, variables, 'removeMember', options);
  }

  /** The viewer leaves the chat. */
  leaveChat(variables: LeaveChatMutationVariables, options: CallOptions = {}): Promise<boolean> {
    return this.field(LeaveChatDocument, variables, 'leaveChat', options);
  }

  /** Renames a group chat (owner and admins). */
  renameChat(variables: RenameChatMutationVariables, options: CallOptions = {}): Promise<ChatSummary> {
    return this.field(RenameChatDocument, variables, 'renameChat', options);
  }

  /**
   * Sends a message. The `clientMessageId` is generated (a random UUID) unless given, and the request is retried with
   * the same id after a network failure or SERVICE_UNAVAILABLE (bounded, with backoff): the server returns the
   * original message for a known id, so a retry never creates a second message.
   */
  sendMessage(variables: SendMessageInput, options: CallOptions & { retry?: RetryOptions } = {}): Promise<Message> {
    const full: SendMessageMutationVariables = {
      ...variables,
      clientMessageId: variables.clientMessageId ?? newClientMessageId(),
    };
    return retryTransient(() => this.field(SendMessageDocument, full, 'sendMessage', { signal: options.signal }), {
      ...this.options.retry,
      ...options.retry,
      signal: options.signal,
    });
  }

  /** Changes the text of one of the viewer's messages. */
  editMessage(variables: EditMessageMutationVariables, options: CallOptions = {}): Promise<Message> {
    return this.field(EditMessageDocument, variables, 'editMessage', options);
  }

  /** Deletes a message (the viewer's own; any, for owners and admins). */
  deleteMessage(variables: DeleteMessageMutationVariables, options: CallOptions = {}): Promise<Message> {
    return this.field(DeleteMessageDocument, variables, 'deleteMessage', options);
  }

  /** Reacts to a message with one emoji (e.g. `'👍'`); reacting twice with the same emoji is one reaction. */
  addReaction(variables: AddReactionMutationVariables): Promise<Message> {
    return this.field(AddReactionDocument, variables, 'addReaction');
  }

  /** Takes back the viewer's reaction with this emoji (nothing happens when there is none). */
  removeReaction(variables: RemoveReactionMutationVariables): Promise<Message> {
    return this.field(RemoveReactionDocument, variables, 'removeReaction');
  }

  /** Pins a message to its chat (owner and admins of a group; either member of a direct chat). */
  pinMessage(variables: PinMessageMutationVariables): Promise<Message> {
    return this.field(PinMessageDocument, variables, 'pinMessage');
  }

  /** Unpins a message. */
  unpinMessage(variables: PinMessageMutationVariables): Promise<Message> {
    return this.field(UnpinMessageDocument, variables, 'unpinMessage');
  }

  /** The chat's pinned messages, most recently pinned first. */
  async pinnedMessages(variables: { chatId: string }): Promise<Message[]> {
    const chat = await this.field(PinnedMessagesDocument, variables, 'chat');
    if (!chat) throw new ChatGraphError('NOT_FOUND', `There is no chat ${variables.chatId}.`);
    return chat.pinnedMessages;
  }

  /** One message by id (of a chat the viewer is in). */
  message(variables: { id: string }): Promise<Message | null> {
    return this.field(MessageDocument, variables, 'message');
  }

  /**
   * A page of the replies of the thread started by message `id`, oldest first within the page (the newest 50 by
   * default; `last`/`before` back, `first`/`after` forward). Reply with `sendMessage({ ..., replyToId })`.
   */
  async threadReplies(
    variables: MessageRepliesQueryVariables,
  ): Promise<NonNullable<MessageRepliesQuery['message']>['replies']> {
    const root = await this.field(MessageRepliesDocument, variables, 'message');
    if (!root) throw new ChatGraphError('NOT_FOUND', `There is no message ${variables.id}.`);
    return root.replies;
  }

  /**
   * Messages matching `query` in the viewer's chats (or in `chatId`), newest first; pass `pageInfo.endCursor` as
   * `after` for the next page.
   */
  searchMessages(variables: SearchMessagesQueryVariables): Promise<SearchMessagesQuery['searchMessages']> {
    return this.field(SearchMessagesDocument, variables, 'searchMessages');
  }

  /** Bans a user from a group chat (removed, and not added back until unbanned); owner and admins. */
  banMember(variables: BanMemberMutationVariables): Promise<ChatSummary> {
    return this.field(BanMemberDocument, variables, 'banMember');
  }

  /** Lifts a ban (the user is not added back by this). */
  unbanMember(variables: BanMemberMutationVariables): Promise<ChatSummary> {
    return this.field(UnbanMemberDocument, variables, 'unbanMember');
  }

  /** Mutes a chat for the viewer until `until` (ISO date-time; without it, until unmuted): mentions only. */
  muteChat(variables: MuteChatMutationVariables): Promise<ChatSummary> {
    return this.field(MuteChatDocument, variables, 'muteChat');
  }

  /** Unmutes a chat for the viewer. */
  unmuteChat(variables: { chatId: string }): Promise<ChatSummary> {
    return this.field(UnmuteChatDocument, variables, 'unmuteChat');
  }

  /** Blocks a user: no direct chat, direct messages or group additions from them, and no notifications. */
  blockUser(variables: BlockUserMutationVariables): Promise<boolean> {
    return this.field(BlockUserDocument, variables, 'blockUser');
  }

  /** Lifts a block. */
  unblockUser(variables: BlockUserMutationVariables): Promise<boolean> {
    return this.field(UnblockUserDocument, variables, 'unblockUser');
  }

  /** The users the viewer blocked, earliest first. */
  myBlockedUsers(): Promise<User[]> {
    return this.field(MyBlockedUsersDocument, {}, 'myBlockedUsers');
  }

  /** Moves the viewer's read marker forward to `seq`. */
  markRead(variables: MarkReadMutationVariables, options: CallOptions = {}): Promise<ChatSummary> {
    return this.field(MarkReadDocument, variables, 'markRead', options);
  }

  /** Sends a typing state as is (see `chat(id).setTyping()` for the throttled helper). */
  setTyping(variables: SetTypingMutationVariables, options: CallOptions = {}): Promise<boolean> {
    return this.field(SetTypingDocument, variables, 'setTyping', options);
  }

  // ---- presence ------------------------------------------------------------------------------------------------

  /** One heartbeat (see `startHeartbeat()` for the loop). */
  heartbeat(variables: HeartbeatMutationVariables = {}, options: CallOptions = {}): Promise<Presence> {
    return this.field(HeartbeatDocument, variables, 'heartbeat', options);
  }

  /** Signs the viewer off at once. */
  goOffline(options: CallOptions = {}): Promise<Presence> {
    return this.field(GoOfflineDocument, {}, 'goOffline', options);
  }

  /** Starts heartbeats: one now, then every 30 s, until `stop()` (or `close()` of the client). */
  startHeartbeat(options: HeartbeatOptions = {}): HeartbeatLoop {
    const loop = new HeartbeatLoop((status) => this.heartbeat({ status }), options);
    this.heartbeats.add(loop);
    return loop;
  }

  // ---- live ----------------------------------------------------------------------------------------------------

  /**
   * A chat's events, live, exactly once and in order across reconnects: the stream remembers the last `seq`,
   * resubscribes with `afterSeq` after any drop, and drops duplicates. It starts after `afterSeq` when given, else
   * after the chat's current `lastSeq` (fetched over HTTP). Ends with `close()` or on an error retrying cannot fix
   * (FORBIDDEN when the viewer is removed from the chat, NOT_FOUND, UNAUTHENTICATED).
   */
  chatEvents(
    variables: { chatId: string; afterSeq?: number | null },
    handlers: LiveHandlers<ChatEvent>,
    options: ChatEventsOptions = {},
  ): LiveStream<ChatEvent> {
    const { chatId, afterSeq } = variables;
    if (afterSeq !== undefined && afterSeq !== null && (!Number.isInteger(afterSeq) || afterSeq < 0))
      throw new RangeError(`afterSeq must be an integer >= 0, not ${afterSeq}.`);
    const newest = () => this.chatLastSeq({ id: chatId });
    return this.stream(
      {
        operation: liveOperation(
          ChatEventsDocument,
          (seq) => ({ chatId, afterSeq: seq }),
          (data) => data.chatEvents,
        ),
        backoff: options.reconnect,
        resume: {
          start: async () =>
            afterSeq === undefined || afterSeq === null
              ? { afterSeq: await newest(), isNewest: true }
              : { afterSeq, isNewest: false },
          newest,
          seqOf: (event) => event.seq,
        },
      },
      handlers,
    );
  }

  /** Typing indicators of a chat's members (ephemeral: what happened while disconnected is not replayed). */
  typing(
    variables: TypingSubscriptionVariables,
    handlers: LiveHandlers<TypingEvent>,
    options: LiveOptions = {},
  ): LiveStream<TypingEvent> {
    return this.stream(
      {
        operation: liveOperation(
          TypingDocument,
          () => variables,
          (data) => data.typing,
        ),
        backoff: options.reconnect,
      },
      handlers,
    );
  }

  /** Read receipts of the chat's other members (ephemeral: after a reconnect, read `members { lastReadSeq }`). */
  readReceipts(
    variables: ReadReceiptsSubscriptionVariables,
    handlers: LiveHandlers<ReadReceipt>,
    options: LiveOptions = {},
  ): LiveStream<ReadReceipt> {
    return this.stream(
      {
        operation: liveOperation(
          ReadReceiptsDocument,
          () => variables,
          (data) => data.readReceipts,
        ),
        backoff: options.reconnect,
      },
      handlers,
    );
  }

  /**
   * The viewer's own read markers as any of their devices moves one, with the new `unreadCount` (ephemeral: after a
   * reconnect, refresh `myChats`).
   */
  myReadReceipts(handlers: LiveHandlers<OwnReadReceipt>, options: LiveOptions = {}): LiveStream<OwnReadReceipt> {
    return this.stream(
      {
        operation: liveOperation(
          MyReadReceiptsDocument,
          () => ({}),
          (data) => data.myReadReceipts,
        ),
        backoff: options.reconnect,
      },
      handlers,
    );
  }

  /** Activity in any of the viewer's chats (not replayed after a reconnect: refresh `myChats` on `live`). */
  myChatActivity(handlers: LiveHandlers<ChatActivity>, options: LiveOptions = {}): LiveStream<ChatActivity> {
    return this.stream(
      {
        operation: liveOperation(
          MyChatActivityDocument,
          () => ({}),
          (data) => data.myChatActivity,
        ),
        backoff: options.reconnect,
      },
      handlers,
    );
  }

  /** Presence changes of the given users (not replayed: read `user(...).presence` after `live`). */
  presenceChanged(
    variables: PresenceChangedSubscriptionVariables,
    handlers: LiveHandlers<PresenceEvent>,
    options: LiveOptions = {},
  ): LiveStream<PresenceEvent> {
    return this.stream(
      {
        operation: liveOperation(
          PresenceChangedDocument,
          () => variables,
          (data) => data.presenceChanged,
        ),
        backoff: options.reconnect,
      },
      handlers,
    );
  }

  /** The viewer's notifications: inbox, unread count and badge, read markers, Web Push, live stream. */
  get notifications(): NotificationsClient {
    this.notificationsClient ??= new NotificationsClient({
      field: (document, variables, key, options) => this.field(document, variables, key, options),
      stream: (options, handlers) => this.stream(options, handlers),
    });
    return this.notificationsClient;
  }

  /** Bots, API tokens and webhooks of the viewer. */
  get integrations(): IntegrationsClient {
    this.integrationsClient ??= new IntegrationsClient({
      field: (document, variables, key, options) => this.field(document, variables, key, options),
    });
    return this.integrationsClient;
  }

  /** Helpers for one chat: history, send, live events, typing. */
  chat(chatId: string): ChatHandle {
    return new ChatHandle(this, chatId, () => this.typingThrottle(chatId));
  }

  /** Closes every live stream, stops heartbeats and typing timers, and closes the WebSocket. */
  async close(): Promise<void> {
    this.closed = true;
    for (const stream of [...this.streams]) stream.close();
    for (const throttle of this.throttles.values()) throttle.dispose();
    this.throttles.clear();
    await Promise.all([...this.heartbeats].map((loop) => loop.stop()));
    this.heartbeats.clear();
    await this.live.close();
  }

  // ---- internals -----------------------------------------------------------------------------------------------

  /** Runs an operation and returns its root field; throws the response's errors when the field is missing. */
  private async field<TData, TVariables, K extends keyof TData>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
    key: K,
    options: CallOptions & { http?: HttpExecutor } = {},
  ): Promise<TData[K]> {
    const { status, result } = await (options.http ?? this.http).execute(document, variables, options.signal);
    const value = result.data?.[key];
    if (value === undefined || (value === null && result.errors?.length)) {
      if (result.errors?.length) throw ChatGraphError.fromGraphQLErrors(result.errors, status);
      throw new ChatGraphError('BAD_RESPONSE', `The response has no ${String(key)}.`, { status });
    }
    return value;
  }

  /** With `session`, makes a session the server just issued the client's own. */
  private started(session: Session): Session {
    this.sessions?.adopt(session);
    return session;
  }

  /**
   * Logs out on the server, then here. A session the server no longer accepts (UNAUTHENTICATED) has ended already:
   * that is a success. Other failures (the network) leave the session as it was, so the app can try again.
   */
  private async ending(call: () => Promise<boolean>): Promise<boolean> {
    if (!this.sessions) return call();
    try {
      await call();
    } catch (err) {
      if (!(err instanceof ChatGraphError) || err.code !== 'UNAUTHENTICATED') throw err;
    }
    this.sessions.end();
    return true;
  }

  private stream<T>(
    options: Omit<LiveStreamOptions<T>, 'transport' | 'backoff'> & { backoff?: BackoffOptions },
    handlers: LiveHandlers<T>,
  ): LiveStream<T> {
    if (this.closed) throw new Error('This ChatClient is closed: create a new one to start live streams.');
    this.live.assertAvailable();
    const stream = new LiveStream<T>(
      { ...options, transport: this.live, backoff: { ...this.options.reconnect, ...options.backoff } },
      handlers,
    );
    this.streams.add(stream);
    stream.onStatus((status) => {
      if (status === 'closed') this.streams.delete(stream);
    });
    return stream;
  }

  private typingThrottle(chatId: string): TypingThrottle {
    let throttle = this.throttles.get(chatId);
    if (!throttle) {
      throttle = new TypingThrottle((typing) => this.setTyping({ chatId, typing }), this.options.typing);
      this.throttles.set(chatId, throttle);
    }
    return throttle;
  }
}
