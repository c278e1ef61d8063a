import { useCallback, useEffect, useState } from 'react';
import type { ChatClient, Notification, UnreadBadge } from '@chatgraph/sdk';

export interface NotificationsState {
  unread: number;
  /** The newest notifications, newest first (read when the panel opens, then live). */
  items: Notification[];
  /** Reads the newest notifications. */
  load(): Promise<void>;
  markAllRead(): Promise<void>;
  /** The inbox could not be reached (the badge shows nothing rather than a wrong number). */
  unavailable: boolean;
}

/** The notification bell's state: the live unread count (the SDK's `unreadBadge`) and the newest notifications. */
export function useNotifications(client: ChatClient): NotificationsState {
  const [unread, setUnread] = useState(0);
  const [items, setItems] = useState<Notification[]>([]);
  const [unavailable, setUnavailable] = useState(false);
  const [badge, setBadge] = useState<UnreadBadge | null>(null);

  useEffect(() => {
    const current = client.notifications.unreadBadge((count) => {
      setUnread(count);
      setUnavailable(false);
    });
    setBadge(current);
    const live = client.notifications.live({
      next: (n) => setItems((list) => [n, ...list.filter((x) => x.id !== n.id)].slice(0, 50)),
      error: () => setUnavailable(true),
    });
    return () => {
      live.close();
      current.close();
    };
  }, [client]);

  const load = useCallback(async () => {
    try {
      const page = await client.notifications.list({ first: 20 });
      setItems(page.nodes);
      setUnavailable(false);
    } catch {
      setUnavailable(true);
    }
  }, [client]);

  const markAllRead = useCallback(async () => {
    await badge?.markAllRead();
    const now = new Date().toISOString();
    setItems((list) => list.map((n) => (n.readAt ? n : { ...n, readAt: now })));
  }, [badge]);

  return { unread, items, load, markAllRead, unavailable };
}
