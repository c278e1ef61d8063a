import type { LiveStream } from './LiveStream.ts';
import type { NotificationsClient } from './NotificationsClient.ts';
import type { Notification } from './types.ts';

/**
 * The number on a notifications badge: read from the server at start and whenever the live stream is back up to
 * date (after a reconnect, when it may have missed read markers set elsewhere), counted up for each new unread
 * notification in between, and down for what it marks read. `onChange` hears every new value.
 */
export class UnreadBadge {
  private current = 0;
  private readonly stream: LiveStream<Notification>;
  private refreshing: Promise<void> | undefined;

  /** @internal created by `NotificationsClient.unreadBadge`. */
  constructor(
    private readonly notifications: NotificationsClient,
    private readonly onChange: (count: number) => void,
  ) {
    this.stream = notifications.live({
      next: (n) => {
        if (n.readAt === null) this.set(this.current + 1);
      },
      status: (status) => {
        if (status === 'live') void this.refresh();
      },
    });
  }

  /** The count now. */
  get count(): number {
    return this.current;
  }

  /** Reads the count from the server. */
  refresh(): Promise<void> {
    this.refreshing ??= this.notifications
      .unreadCount()
      .then((count) => this.set(count))
      .catch(() => undefined)
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** Marks every notification read; the badge shows 0. */
  async markAllRead(): Promise<void> {
    await this.notifications.markRead({ all: true });
    this.set(0);
  }

  /** Marks these notifications read; the badge goes down by how many changed. */
  async markRead(ids: string[]): Promise<void> {
    const changed = await this.notifications.markRead({ ids });
    this.set(Math.max(0, this.current - changed));
  }

  /** Stops following. */
  close(): void {
    this.stream.close();
  }

  private set(count: number): void {
    if (count === this.current) return;
    this.current = count;
    this.onChange(count);
  }
}
