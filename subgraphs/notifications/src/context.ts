import type { BaseSubgraphContext } from '@chatgraph/service';
import type { NotificationStore } from './storage/NotificationStore';
import type { PushSubscriptionStore } from './storage/PushSubscriptionStore';

/** The long-lived stores of one notifications process. */
export interface NotificationsStores {
  notifications: NotificationStore;
  pushSubscriptions: PushSubscriptionStore;
}

/** What every notifications resolver receives. */
export interface NotificationsContext extends BaseSubgraphContext {
  stores: NotificationsStores;
}
