import type { BaseSubgraphContext } from '@chatgraph/service';
import type { NotificationStore } from './storage/NotificationStore';
import type { PreferenceStore } from './storage/PreferenceStore';
import type { PushSubscriptionStore } from './storage/PushSubscriptionStore';
import type { MembershipCheck } from './webhooks/ChatMemberships';
import type { WebhookStore } from './webhooks/WebhookStore';

/** The long-lived stores of one notifications process. */
export interface NotificationsStores {
  notifications: NotificationStore;
  pushSubscriptions: PushSubscriptionStore;
  webhooks: WebhookStore;
  preferences: PreferenceStore;
}

/** Says why a URL given by a user may not be called (SSRF), or null when it may. */
export interface TargetCheck {
  problemWith(url: string): Promise<string | null>;
}

/** What every notifications resolver receives. */
export interface NotificationsContext extends BaseSubgraphContext {
  stores: NotificationsStores;
  /** Which chats a user is a member of (the chats subgraph). */
  memberships: MembershipCheck;
  /** Webhook and Web Push endpoints: may this URL be called? */
  webhookTargets: TargetCheck;
}
