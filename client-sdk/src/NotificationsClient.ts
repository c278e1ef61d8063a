import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { CallOptions } from './CallOptions.ts';
import type { BackoffOptions } from './backoff.ts';
import {
  MarkNotificationsReadDocument,
  NewestNotificationDocument,
  NotificationAddedDocument,
  NotificationsDocument,
  NotificationsSinceDocument,
  NotificationPreferencesDocument,
  DoNotDisturbUntilDocument,
  SetDoNotDisturbDocument,
  UpdateNotificationPreferencesDocument,
  RegisterPushSubscriptionDocument,
  UnregisterPushSubscriptionDocument,
  UnreadNotificationCountDocument,
  type NotificationsQueryVariables,
  type UpdateNotificationPreferencesMutationVariables,
} from './generated/graphql.ts';
import { liveOperation, type LiveHandlers, type LiveStream, type LiveStreamOptions } from './LiveStream.ts';
import type { Notification, NotificationPage, NotificationPreference } from './types.ts';
import { UnreadBadge } from './UnreadBadge.ts';

/** What {@link NotificationsClient} uses of its {@link ChatClient} (its HTTP calls and live streams). */
export interface NotificationsTransport {
  /** Runs an operation and returns its root field (throws `ChatGraphError`). */
  field<TData, TVariables, K extends keyof TData>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
    key: K,
    options?: CallOptions,
  ): Promise<TData[K]>;
  /** Starts a live stream on the client's WebSocket. */
  stream<T>(
    options: Omit<LiveStreamOptions<T>, 'transport' | 'backoff'> & { backoff?: BackoffOptions },
    handlers: LiveHandlers<T>,
  ): LiveStream<T>;
}

/** Options of {@link NotificationsClient.live}. */
export interface NotificationStreamOptions {
  /** Resume after this notification (the last one received: its `id` and `seq`). @default the newest one now */
  after?: Pick<Notification, 'id' | 'seq'>;
  /** Delays between reconnects. */
  reconnect?: BackoffOptions;
}

/** A browser push subscription as `PushSubscription.toJSON()` gives it. */
export interface PushSubscriptionJSON {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/**
 * The viewer's notifications: `client.notifications`. The inbox (newest first), the unread count, read markers,
 * Web Push subscriptions, a live stream that resumes exactly, and an unread badge kept up to date.
 */
export class NotificationsClient {
  /** @internal created by `ChatClient.notifications`. */
  constructor(private readonly transport: NotificationsTransport) {}

  /** A page of the inbox, newest first (`first` 1..100, default 20; `after`: the previous page's `endCursor`). */
  list(variables: NotificationsQueryVariables = {}, options: CallOptions = {}): Promise<NotificationPage> {
    return this.transport.field(NotificationsDocument, variables, 'notifications', options);
  }

  /** The notifications after `afterSeq`, oldest first (`limit` 1..500, default 100): catching up by `seq`. */
  since(afterSeq: number, limit?: number, options: CallOptions = {}): Promise<Notification[]> {
    return this.transport.field(NotificationsSinceDocument, { afterSeq, limit }, 'notificationsSince', options);
  }

  /** How many notifications are unread. */
  unreadCount(options: CallOptions = {}): Promise<number> {
    return this.transport.field(UnreadNotificationCountDocument, {}, 'unreadNotificationCount', options);
  }

  /** Marks notifications read (these ids, or all); resolves with how many changed. */
  markRead(target: { ids: string[] } | { all: true }, options: CallOptions = {}): Promise<number> {
    const variables = 'all' in target ? { all: true } : { ids: target.ids };
    return this.transport.field(MarkNotificationsReadDocument, variables, 'markNotificationsRead', options);
  }

  /** Registers this browser's push subscription (`await registration.pushManager.subscribe(...)`, as JSON). */
  registerPush(subscription: PushSubscriptionJSON, options: CallOptions = {}): Promise<boolean> {
    const { endpoint, keys } = subscription;
    return this.transport.field(
      RegisterPushSubscriptionDocument,
      { endpoint, p256dh: keys.p256dh, auth: keys.auth },
      'registerPushSubscription',
      options,
    );
  }

  /** The viewer's push and email preference, one per kind (in the order of `NotificationKind`). */
  preferences(): Promise<NotificationPreference[]> {
    return this.transport.field(NotificationPreferencesDocument, {}, 'notificationPreferences');
  }

  /** When the viewer's do-not-disturb ends (an ISO date-time); null when it is off. */
  doNotDisturbUntil(): Promise<string | null> {
    return this.transport.field(DoNotDisturbUntilDocument, {}, 'doNotDisturbUntil');
  }

  /** Sets whether one kind is pushed and emailed; resolves with every kind's preference. */
  updatePreference(variables: UpdateNotificationPreferencesMutationVariables): Promise<NotificationPreference[]> {
    return this.transport.field(UpdateNotificationPreferencesDocument, variables, 'updateNotificationPreferences');
  }

  /**
   * Turns do-not-disturb on until `until` (at most a year ahead), or off with null: meanwhile nothing is pushed or
   * emailed. Resolves with when it ends (null: off).
   */
  async setDoNotDisturb(until: Date | string | null): Promise<string | null> {
    const value = until instanceof Date ? until.toISOString() : until;
    return this.transport.field(SetDoNotDisturbDocument, { until: value }, 'setDoNotDisturb');
  }

  /** Removes a push subscription (e.g. on sign-out); false when there was none with this endpoint. */
  unregisterPush(endpoint: string, options: CallOptions = {}): Promise<boolean> {
    return this.transport.field(
      UnregisterPushSubscriptionDocument,
      { endpoint },
      'unregisterPushSubscription',
      options,
    );
  }

  /**
   * New notifications, live, exactly once and in order across reconnects: the stream remembers the last one and
   * resubscribes after it (`afterId`), dropping any it already delivered. It starts after `options.after` when given,
   * else after the newest notification now.
   */
  live(handlers: LiveHandlers<Notification>, options: NotificationStreamOptions = {}): LiveStream<Notification> {
    // The server resumes after an id; the stream counts seqs: keep the id of the last seq it may resume after.
    let last: { seq: number; id: string | null } = { seq: 0, id: null };
    const newest = async () => {
      const [node] = (await this.transport.field(NewestNotificationDocument, {}, 'notifications')).nodes;
      return node ? { seq: node.seq, id: node.id } : { seq: 0, id: null };
    };
    return this.transport.stream<Notification>(
      {
        operation: liveOperation(
          NotificationAddedDocument,
          (seq) => ({ afterId: seq !== null && seq === last.seq ? last.id : null }),
          (data) => data.notificationAdded,
        ),
        backoff: options.reconnect,
        resume: {
          start: async () => {
            last = options.after ? { ...options.after } : await newest();
            return { afterSeq: last.seq, isNewest: !options.after };
          },
          newest: async () => (await newest()).seq,
          seqOf: (notification) => notification.seq,
        },
      },
      {
        ...handlers,
        next: (notification) => {
          last = { seq: notification.seq, id: notification.id };
          handlers.next(notification);
        },
      },
    );
  }

  /** An unread count that follows new notifications live (see {@link UnreadBadge}); close it when done. */
  unreadBadge(onChange: (count: number) => void): UnreadBadge {
    return new UnreadBadge(this, onChange);
  }
}
