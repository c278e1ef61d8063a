import { parseId } from '@chatgraph/ids';
import type { NotificationsContext } from '../context';
import { notificationPayload, type NotificationPayload } from '../payloads';

/** Resolvers of `Notification`: the entity by reference, for the viewer it belongs to only. */
export const Notification = {
  async __resolveReference(ref: { id: string }, ctx: NotificationsContext): Promise<NotificationPayload | null> {
    const viewer = ctx.viewerId === null ? null : parseId(ctx.viewerId);
    const id = parseId(ref.id);
    if (viewer === null || id === null) return null;
    const found = (await ctx.stores.notifications.byIds(viewer, [id])).get(id);
    return found ? notificationPayload(found) : null;
  },
};
