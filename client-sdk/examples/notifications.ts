import type { ChatClient, Notification } from '@chatgraph/sdk';

/** Shows the unread count on a badge and each new notification as it arrives, resuming after the last one seen. */
export function followNotifications(client: ChatClient, badge: HTMLElement, lastSeen?: Notification) {
  const unread = client.notifications.unreadBadge((count) => (badge.textContent = count ? String(count) : ''));
  const stream = client.notifications.live(
    {
      next: (n) => {
        console.log(`${n.kind} from ${n.actor.displayName}${n.message ? `: ${n.message.text}` : ''}`);
        localStorage.setItem('notifications:last', JSON.stringify({ id: n.id, seq: n.seq }));
      },
      error: (err) => console.error(err.code, err.message),
    },
    { after: lastSeen }, // omit it to start with the next new notification
  );
  return {
    markAllRead: () => unread.markAllRead(),
    stop: () => {
      stream.close();
      unread.close();
    },
  };
}

/** Lets the server push notifications to this browser while the user is not online. */
export async function enablePush(client: ChatClient, applicationServerKey: string): Promise<void> {
  const registration = await navigator.serviceWorker.ready;
  const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey });
  const json = subscription.toJSON();
  await client.notifications.registerPush({
    endpoint: json.endpoint!,
    keys: { p256dh: json.keys!.p256dh!, auth: json.keys!.auth! },
  });
}
