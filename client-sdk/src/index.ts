/**
 * @chatgraph/sdk: a typed client for the chatgraph API.
 *
 * - `createChatClient({ url, session })`: a typed method per operation; sessions refreshed by themselves (or bring your
 *   own tokens with `getToken`); `sendMessage` is idempotent and retried;
 * - `client.chat(id).events()`: live chat events, exactly once and in order across reconnects;
 * - presence and typing helpers, and `ChatGraphError` with the server's `extensions.code`;
 * - `client.notifications`: the inbox, an unread badge, Web Push subscriptions and a resumable live stream;
 * - `client.integrations`: bots, API tokens and signed webhooks;
 * - the generated `TypedDocumentNode`s and types, for Apollo Client, urql or any GraphQL client.
 */
export { createChatClient, ChatClient } from './ChatClient.ts';
export type { ChatClientOptions, ChatEventsOptions, LiveOptions, SendMessageInput } from './ChatClient.ts';
export { ChatHandle } from './ChatHandle.ts';
export { ChatStore } from './ChatStore.ts';
export type { ChatStoreClient, ChatStoreOptions, ChatStoreSnapshot, PendingSend } from './ChatStore.ts';
export type { CallOptions } from './CallOptions.ts';
export { SessionManager } from './SessionManager.ts';
export type { Session, SessionOptions, RefreshCall } from './SessionManager.ts';
export { NotificationsClient } from './NotificationsClient.ts';
export type { NotificationStreamOptions, NotificationsTransport, PushSubscriptionJSON } from './NotificationsClient.ts';
export { IntegrationsClient } from './IntegrationsClient.ts';
export type { IntegrationsTransport } from './IntegrationsClient.ts';
export { UnreadBadge } from './UnreadBadge.ts';
export type { ChatStreamOptions, HistoryPage } from './ChatHandle.ts';
export { ChatGraphError, CHATGRAPH_ERROR_CODES, isChatGraphError } from './ChatGraphError.ts';
export type { ChatGraphErrorCode, ChatGraphErrorOptions, GraphQLErrorPayload } from './ChatGraphError.ts';
export { LiveStream, liveOperation } from './LiveStream.ts';
export type {
  LiveHandlers,
  LiveOperation,
  LiveStreamStats,
  StreamStatus,
  ResumeSpec,
  LiveStreamOptions,
} from './LiveStream.ts';
export { LiveEventIterable } from './LiveEventIterable.ts';
export { LiveConnection } from './LiveConnection.ts';
export type { LiveTransport, LiveSink, LiveConnectionOptions } from './LiveConnection.ts';
export { classifyLiveError, closeAction, LiveCloseCode } from './classifyLiveError.ts';
export type { LiveFailure, LiveFailureContext } from './classifyLiveError.ts';
export { SeqCursor } from './SeqCursor.ts';
export type { SeqVerdict } from './SeqCursor.ts';
export { backoffDelay, resolveBackoff, DEFAULT_BACKOFF } from './backoff.ts';
export type { BackoffOptions, ResolvedBackoff } from './backoff.ts';
export { retryTransient, DEFAULT_RETRY } from './retryTransient.ts';
export type { RetryOptions } from './retryTransient.ts';
export { HeartbeatLoop } from './HeartbeatLoop.ts';
export type { HeartbeatOptions, ReportedStatus } from './HeartbeatLoop.ts';
export { TypingThrottle } from './TypingThrottle.ts';
export type { TypingThrottleOptions } from './TypingThrottle.ts';
export { HttpExecutor } from './HttpExecutor.ts';
export type { FetchLike, GraphQLResult, HttpResponse, TokenGetter } from './HttpExecutor.ts';
export { newClientMessageId } from './newClientMessageId.ts';
export type * from './types.ts';
// Every generated TypedDocumentNode (`SendMessageDocument`, ...) and result/variables type.
export * from './generated/graphql.ts';
