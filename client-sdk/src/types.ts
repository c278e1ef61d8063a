import type {
  ApiTokenFieldsFragment,
  ChatEventFieldsFragment,
  CreateApiTokenMutation,
  CreateWebhookMutation,
  WebhookDeliveriesQuery,
  WebhookDeliveryFieldsFragment,
  WebhookFieldsFragment,
  ChatFieldsFragment,
  ChatMemberFieldsFragment,
  ChatListQuery,
  ChatMessagesQuery,
  ChatQuery,
  MeQuery,
  MessageFieldsFragment,
  MyChatActivitySubscription,
  MyReadReceiptsSubscription,
  ReadReceiptsSubscription,
  MyChatsQuery,
  MyEmailQuery,
  NotificationPreferencesQuery,
  NotificationFieldsFragment,
  NotificationsQuery,
  PageInfoFieldsFragment,
  PresenceChangedSubscription,
  PresenceFieldsFragment,
  SignUpMutation,
  TypingSubscription,
  UserFieldsFragment,
} from './generated/graphql.ts';

// Short names for the shapes the SDK's methods return (all generated from client-sdk/operations/*.graphql).

/** A user's public profile. */
export type User = UserFieldsFragment;
/** A user's profile with their presence (`me`, `user`, `userByUsername`). */
export type UserWithPresence = NonNullable<MeQuery['me']>;
/** A user's presence. */
export type Presence = PresenceFieldsFragment;
/** The result of `signUp` and `logIn`. */
export type AuthPayload = SignUpMutation['signUp'];
/** A chat without members (lists, `markRead`, `renameChat`). */
export type ChatSummary = ChatFieldsFragment;
/** A chat with its members (`getChat`, `createGroupChat`, ...). */
export type ChatDetails = NonNullable<ChatQuery['chat']>;
/** A membership. */
export type ChatMember = ChatMemberFieldsFragment;
/** A message with its author. */
export type Message = MessageFieldsFragment;
/** One entry of a chat's event log, from `chatEventsSince` or live from `chatEvents`. */
export type ChatEvent = ChatEventFieldsFragment;
/** A page of a chat's history. */
export type MessagePage = NonNullable<ChatMessagesQuery['chat']>['messages'];
/** A page of the viewer's chats. */
export type ChatPage = MyChatsQuery['myChats'];
/** A page of the viewer's chats with what a chat list shows (`chatList`). */
export type ChatListPage = ChatListQuery['myChats'];
/** One chat of a chat list: the chat, its newest message, its members with their presence. */
export type ChatListItem = ChatListPage['nodes'][number];
/** Where a page sits in its list. */
export type PageInfo = PageInfoFieldsFragment;
/** A member's read marker moved (`readReceipts`). */
export type ReadReceipt = ReadReceiptsSubscription['readReceipts'];
/** One of the viewer's own read markers moved, with the new unread count (`myReadReceipts`). */
export type OwnReadReceipt = MyReadReceiptsSubscription['myReadReceipts'];
/** Someone's typing state in a chat. */
export type TypingEvent = TypingSubscription['typing'];
/** Activity in one of the viewer's chats. */
export type ChatActivity = MyChatActivitySubscription['myChatActivity'];
/** A change of a user's presence. */
export type PresenceEvent = PresenceChangedSubscription['presenceChanged'];
/** A notification of the viewer's (from `notifications.list()` or live from `notifications.live()`). */
export type Notification = NotificationFieldsFragment;
/** A page of the viewer's notifications, newest first. */
export type NotificationPage = NotificationsQuery['notifications'];
/** An API token of the viewer's (never the token itself). */
export type ApiToken = ApiTokenFieldsFragment;
/** A new API token: the token (`cgt_…`, shown once) and its details. */
export type CreatedApiToken = CreateApiTokenMutation['createApiToken'];
/** A webhook of the viewer's. */
export type Webhook = WebhookFieldsFragment;
/** A new webhook and its signing secret (`whsec_…`, shown once). */
export type CreatedWebhook = CreateWebhookMutation['createWebhook'];
/** One delivery of an event to a webhook. */
export type WebhookDelivery = WebhookDeliveryFieldsFragment;
/** A page of a webhook's deliveries, newest first. */
export type WebhookDeliveryPage = NonNullable<WebhookDeliveriesQuery['webhook']>['deliveries'];

/** The viewer's email address and whether it is verified (emails other than the verification go only to a verified one). */
export type EmailStatus = NonNullable<MyEmailQuery['me']>;

/** Whether one kind of notification is pushed and emailed. */
export type NotificationPreference = NotificationPreferencesQuery['notificationPreferences'][number];
