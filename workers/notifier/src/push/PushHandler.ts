import {
  alertAllowed,
  type NotificationInbox,
  type NotificationRecord,
  type NotificationStore,
  type PreferenceStore,
  type PushSubscriptionStore,
} from '@chatgraph/notifications';
import type { Logger } from '@chatgraph/logging';
import { PermanentFailure } from '../amqp/PermanentFailure';
import type { PushJob } from '../inbox/InboxHandler';
import type { WebPushSender } from './WebPushSender';

/** Whether a user is ONLINE now (presence in Redis). */
export interface OnlineCheck {
  isOnline(userId: bigint): Promise<boolean>;
}

/** Options of {@link PushHandler}. */
export interface PushHandlerOptions {
  notifications: NotificationStore;
  inbox: NotificationInbox;
  /** The recipient's push preferences and do-not-disturb. */
  preferences: PreferenceStore;
  subscriptions: PushSubscriptionStore;
  presence: OnlineCheck;
  sender: WebPushSender;
  logger: Logger;
}

/** What a push message says (encrypted for the browser; it fetches the rest through the API). */
export interface PushPayload {
  notification: { id: string; seq: number; kind: string; chatId: string; messageId: string | null; actorId: string };
}

/** Reads a push job; anything else can never be handled. */
export function parsePushJob(content: Buffer): PushJob {
  let job: Partial<PushJob> | null;
  try {
    job = JSON.parse(content.toString('utf8')) as Partial<PushJob> | null;
  } catch {
    throw new PermanentFailure('not JSON');
  }
  if (!job || typeof job.notificationId !== 'string' || !/^[1-9]\d{0,18}$/.test(job.notificationId))
    throw new PermanentFailure('not a push job');
  return { notificationId: job.notificationId };
}

/**
 * Pushes one notification to its recipient's browsers (the push queue's handler). Only when the recipient's
 * preferences allow pushing its kind and do-not-disturb is off, and only while the recipient is not ONLINE (an online
 * user sees it in the app); a subscription the push service reports gone (404/410) is removed; any
 * other failure rejects, so the job is retried (subscriptions that got it may get it again: the Topic header lets a
 * push service replace an undelivered copy). `pushed_at` makes a job that already finished a no-op.
 */
export class PushHandler {
  constructor(private readonly options: PushHandlerOptions) {}

  async handle(job: PushJob): Promise<void> {
    const { notifications, inbox, preferences, subscriptions, presence, sender, logger } = this.options;
    const notification = await notifications.byId(BigInt(job.notificationId));
    if (!notification || notification.pushedAt !== null) return;
    const settings = await preferences.settingsOf(notification.recipientId);
    if (!alertAllowed(settings, notification.kind, 'push', new Date())) {
      await inbox.markPushed(notification.id);
      return;
    }
    if (await presence.isOnline(notification.recipientId)) {
      await inbox.markPushed(notification.id);
      return;
    }
    const payload = JSON.stringify(pushPayload(notification));
    let failure: Error | undefined;
    for (const subscription of await subscriptions.of(notification.recipientId)) {
      try {
        const outcome = await sender.send(subscription, payload, `n${notification.id}`);
        if (outcome === 'gone') {
          await subscriptions.unregister(subscription.userId, subscription.endpoint);
          logger.info({ userId: subscription.userId.toString() }, 'push subscription gone; removed');
        }
      } catch (err) {
        failure = err as Error;
      }
    }
    if (failure) throw failure;
    await inbox.markPushed(notification.id);
  }
}

function pushPayload(n: NotificationRecord): PushPayload {
  return {
    notification: {
      id: n.id.toString(),
      seq: n.seq,
      kind: n.kind,
      chatId: n.chatId.toString(),
      messageId: n.messageId?.toString() ?? null,
      actorId: n.actorId.toString(),
    },
  };
}
