import type { TokenScope } from '@chatgraph/auth';

/** What an API token needs for a field: one scope, or `ANY` (every valid token may). */
export type ScopeRule = TokenScope | 'ANY';

/**
 * The scope an API token needs for each root field of the API (`Type.field`). Session (JWT) users have every scope.
 * A root field that is not here is refused to API tokens (fail closed): adding an operation to the API means adding
 * a row here (or to {@link SESSION_ONLY}); `gateway/test/scopeTable.test.ts` fails until every root field of the API
 * schema has one.
 */
export const ROOT_FIELD_SCOPES: Readonly<Record<string, ScopeRule>> = {
  // Who am I, who is that: any token (a bot needs its own id to tell its messages from others').
  'Query.me': 'ANY',
  'Query.user': 'ANY',
  'Query.userByUsername': 'ANY',

  'Query.chat': 'CHATS_READ',
  'Query.myChats': 'CHATS_READ',
  'Query.chatEventsSince': 'CHATS_READ',
  'Query.searchMessages': 'CHATS_READ',
  'Query.message': 'CHATS_READ',
  'Query.notifications': 'CHATS_READ',
  'Query.unreadNotificationCount': 'CHATS_READ',
  'Query.notificationsSince': 'CHATS_READ',
  'Query.notificationPreferences': 'CHATS_READ',
  'Query.doNotDisturbUntil': 'CHATS_READ',
  'Mutation.markRead': 'CHATS_READ',
  'Mutation.markNotificationsRead': 'CHATS_READ',
  'Subscription.chatEvents': 'CHATS_READ',
  'Subscription.typing': 'CHATS_READ',
  'Subscription.readReceipts': 'CHATS_READ',
  'Subscription.myReadReceipts': 'CHATS_READ',
  'Subscription.myChatActivity': 'CHATS_READ',
  'Subscription.notificationAdded': 'CHATS_READ',
  'Subscription.presenceChanged': 'CHATS_READ',

  'Mutation.sendMessage': 'MESSAGES_WRITE',
  'Mutation.editMessage': 'MESSAGES_WRITE',
  'Mutation.deleteMessage': 'MESSAGES_WRITE',
  'Mutation.setTyping': 'MESSAGES_WRITE',
  'Mutation.addReaction': 'MESSAGES_WRITE',
  'Mutation.removeReaction': 'MESSAGES_WRITE',

  'Mutation.createDirectChat': 'CHATS_MANAGE',
  'Mutation.createGroupChat': 'CHATS_MANAGE',
  'Mutation.addMembers': 'CHATS_MANAGE',
  'Mutation.removeMember': 'CHATS_MANAGE',
  'Mutation.leaveChat': 'CHATS_MANAGE',
  'Mutation.renameChat': 'CHATS_MANAGE',
  'Mutation.pinMessage': 'CHATS_MANAGE',
  'Mutation.banMember': 'CHATS_MANAGE',
  'Mutation.unbanMember': 'CHATS_MANAGE',
  'Mutation.muteChat': 'CHATS_MANAGE',
  'Mutation.unmuteChat': 'CHATS_MANAGE',
  'Mutation.unpinMessage': 'CHATS_MANAGE',

  'Query.myWebhooks': 'WEBHOOKS_MANAGE',
  'Query.webhook': 'WEBHOOKS_MANAGE',
  'Mutation.createWebhook': 'WEBHOOKS_MANAGE',
  'Mutation.deleteWebhook': 'WEBHOOKS_MANAGE',
  'Mutation.redeliverWebhookDelivery': 'WEBHOOKS_MANAGE',

  'Mutation.updateProfile': 'PROFILE_WRITE',
  'Query.myBlockedUsers': 'PROFILE_WRITE',
  'Mutation.blockUser': 'PROFILE_WRITE',
  'Mutation.unblockUser': 'PROFILE_WRITE',
  'Mutation.updateNotificationPreferences': 'PROFILE_WRITE',
  'Mutation.setDoNotDisturb': 'PROFILE_WRITE',
  'Mutation.heartbeat': 'PROFILE_WRITE',
  'Mutation.goOffline': 'PROFILE_WRITE',
};

/**
 * Root fields only a person signed in with a password may use: signing in and out, the account, browsers' push
 * subscriptions, and managing bots and tokens (a leaked token must not mint more tokens or outlive its revocation).
 * Listed so that the table test can tell "refused on purpose" from "forgotten"; both are refused.
 */
export const SESSION_ONLY: readonly string[] = [
  'Mutation.signUp',
  'Mutation.logIn',
  'Mutation.refreshSession',
  'Mutation.logOut',
  'Mutation.logOutEverywhere',
  'Mutation.deleteAccount',
  'Mutation.registerPushSubscription',
  'Mutation.unregisterPushSubscription',
  'Query.myBots',
  'Query.myApiTokens',
  'Mutation.createBot',
  'Mutation.createApiToken',
  'Mutation.revokeApiToken',
];

/**
 * Fields below the root that read more than the root field's scope covers: `sendMessage { chat { messages } }` would
 * otherwise read a chat's history with MESSAGES_WRITE alone. Any other nested field goes with its root field.
 */
export const NESTED_FIELD_SCOPES: Readonly<Record<string, TokenScope>> = {
  'Chat.messages': 'CHATS_READ',
  'Chat.lastMessage': 'CHATS_READ',
  'Chat.members': 'CHATS_READ',
  'Chat.pinnedMessages': 'CHATS_READ',
  'Message.replies': 'CHATS_READ',
  'User.chats': 'CHATS_READ',
  'Webhook.deliveries': 'WEBHOOKS_MANAGE',
};
