import fs from 'node:fs';
import path from 'node:path';
import { parse, type DocumentNode } from 'graphql';
import type { IdentitySigner } from '@chatgraph/auth';
import type { NotificationsClient, ShardedDatabase } from '@chatgraph/db';
import type { Logger } from '@chatgraph/logging';
import { createSubgraphServer, type SubgraphServer } from '@chatgraph/service';
import type { NotificationsContext, NotificationsStores, TargetCheck } from './context';
import { resolvers } from './resolvers';
import type { EmailLinks } from './email/EmailLinks';
import { emailRoutes, type EmailConfirmation } from './email/emailRoutes';
import { NotificationStore } from './storage/NotificationStore';
import { PreferenceStore } from './storage/PreferenceStore';
import { PushSubscriptionStore } from './storage/PushSubscriptionStore';
import type { MembershipCheck } from './webhooks/ChatMemberships';
import { WebhookStore } from './webhooks/WebhookStore';

/** The notifications subgraph's SDL (read from src/, so it works from src/ and dist/ alike). */
export const typeDefs: DocumentNode = parse(
  fs.readFileSync(path.join(__dirname, '..', 'src', 'schema.graphql'), 'utf8'),
);

/** What {@link createNotificationsServer} is built from. */
export interface NotificationsServerDeps {
  db: ShardedDatabase<NotificationsClient>;
  identity: IdentitySigner;
  logger: Logger;
  introspection?: boolean;
  /** Chat memberships (webhooks cover the owner's chats only). */
  memberships: MembershipCheck;
  /** Which webhook and push endpoints may be called (the egress guard). */
  targets: TargetCheck;
  /** Reads the signed links of emails (verification, unsubscribe). */
  emailLinks: EmailLinks;
  /** Marks addresses verified (the users service). */
  emailConfirmation: EmailConfirmation;
}

/** Builds the notifications subgraph (opens no port: call `listen`). */
export function createNotificationsServer(deps: NotificationsServerDeps): SubgraphServer<NotificationsContext> {
  const stores: NotificationsStores = {
    notifications: new NotificationStore(deps.db),
    pushSubscriptions: new PushSubscriptionStore(deps.db),
    webhooks: new WebhookStore(deps.db),
    preferences: new PreferenceStore(deps.db),
  };
  return createSubgraphServer<NotificationsContext>({
    name: 'notifications',
    typeDefs,
    resolvers,
    identity: deps.identity,
    logger: deps.logger,
    introspection: deps.introspection,
    beforeResponse: () => deps.db.recordWrites(),
    context: (base) => ({ ...base, stores, memberships: deps.memberships, webhookTargets: deps.targets }),
    ready: () => deps.db.ping(),
    routes: emailRoutes({
      links: deps.emailLinks,
      preferences: stores.preferences,
      confirmation: deps.emailConfirmation,
      logger: deps.logger,
    }),
  });
}

// The package's entry point for the notifier workers: the inbox's write side, the stores and the payload they publish.
export type { NotificationsContext, NotificationsStores } from './context';
export { NotificationInbox, type AddedNotifications } from './storage/NotificationInbox';
export { NotificationStore, type NotificationPage } from './storage/NotificationStore';
export { PushSubscriptionStore } from './storage/PushSubscriptionStore';
export { NOTIFICATION_KINDS } from './storage/records';
export type { NewNotification, NotificationKind, NotificationRecord, PushSubscriptionRecord } from './storage/records';
export { notificationPayload, notificationTopic, type NotificationPayload } from './payloads';
export { WebhookStore } from './webhooks/WebhookStore';
export { WebhookDeliveryLog } from './webhooks/WebhookDeliveryLog';
export type {
  AddedDelivery,
  AttemptOutcome,
  DeliveryToSend,
  NewDelivery,
  RecordedAttempt,
  RouteQuestion,
  WebhookRoute,
} from './webhooks/WebhookDeliveryLog';
export { WEBHOOK_EVENT_TYPES, webhookEventOf, webhookTypeName } from './webhooks/records';
export type { DeliveryStatus, WebhookEventType, WebhookRecord } from './webhooks/records';
export { ChatMemberships, type MembershipCheck } from './webhooks/ChatMemberships';
export { PreferenceStore } from './storage/PreferenceStore';
export { alertAllowed, defaultPreference, EMAIL_KINDS, withDefaults } from './policy/alertPolicy';
export type { AlertChannel, AlertSettings, NotificationPreference } from './policy/alertPolicy';
export { EmailLinks, type EmailLink } from './email/EmailLinks';
export { MissedMessageBatches, MAX_NOTIFICATIONS_PER_EMAIL } from './email/MissedMessageBatches';
export type { BatchOutcome, ClaimedBatch } from './email/MissedMessageBatches';
export { UsersEmailConfirmation } from './email/UsersEmailConfirmation';
