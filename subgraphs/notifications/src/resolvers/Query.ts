import { badInput, userError } from '@chatgraph/errors';
import { parseId } from '@chatgraph/ids';
import type { NotificationsContext } from '../context';
import type { NotificationPreference } from '../policy/alertPolicy';
import { notificationPayload, type NotificationPayload } from '../payloads';
import { idArg, intArg, requireViewer } from './args';
import { notificationCursor, parseNotificationCursor } from './cursors';

/** A page of the inbox as the schema's `NotificationConnection`. */
interface NotificationConnection {
  nodes: NotificationPayload[];
  edges: Array<{ cursor: string; node: NotificationPayload }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/** Resolvers of `Query`. */
export const Query = {
  async notifications(
    _: unknown,
    args: { first?: number | null; after?: string | null; unreadOnly?: boolean | null },
    ctx: NotificationsContext,
  ): Promise<NotificationConnection> {
    const viewer = requireViewer(ctx.viewerId);
    const limit = intArg(args.first, 'first', 1, 100, 20);
    let beforeSeq: number | null = null;
    if (args.after != null) {
      beforeSeq = parseNotificationCursor(args.after);
      if (beforeSeq === null) throw badInput('after', 'after is not a cursor of this list (use pageInfo.endCursor).');
    }
    const page = await ctx.stores.notifications.page(viewer, {
      limit,
      beforeSeq,
      unreadOnly: args.unreadOnly === true,
    });
    const nodes = page.notifications.map(notificationPayload);
    const edges = nodes.map((node) => ({ cursor: notificationCursor(node.seq), node }));
    return {
      nodes,
      edges,
      pageInfo: {
        hasNextPage: page.hasMore,
        hasPreviousPage: beforeSeq !== null,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
    };
  },

  notificationPreferences(_: unknown, _args: unknown, ctx: NotificationsContext): Promise<NotificationPreference[]> {
    return ctx.stores.preferences.preferencesOf(requireViewer(ctx.viewerId));
  },

  doNotDisturbUntil(_: unknown, _args: unknown, ctx: NotificationsContext): Promise<Date | null> {
    return ctx.stores.preferences.doNotDisturbUntil(requireViewer(ctx.viewerId));
  },

  unreadNotificationCount(_: unknown, _args: unknown, ctx: NotificationsContext): Promise<number> {
    return ctx.stores.notifications.unreadCount(requireViewer(ctx.viewerId));
  },

  async notificationsSince(
    _: unknown,
    args: { afterSeq: number; limit?: number | null },
    ctx: NotificationsContext,
  ): Promise<NotificationPayload[]> {
    const viewer = requireViewer(ctx.viewerId);
    if (args.afterSeq < 0) throw badInput('afterSeq', 'afterSeq must be 0 or more.');
    const limit = intArg(args.limit, 'limit', 1, 500, 100);
    return (await ctx.stores.notifications.since(viewer, args.afterSeq, limit)).map(notificationPayload);
  },

  canReceiveNotifications(_: unknown, _args: unknown, ctx: NotificationsContext): boolean {
    // Every signed-in user has an inbox, and the topic is the viewer's own (notification:{viewerId}).
    return ctx.viewerId !== null && parseId(ctx.viewerId) !== null;
  },

  async notificationResumeSeq(_: unknown, args: { afterId: string }, ctx: NotificationsContext): Promise<number> {
    const viewer = requireViewer(ctx.viewerId);
    const id = idArg(args.afterId, 'afterId');
    const found = (await ctx.stores.notifications.byIds(viewer, [id])).get(id);
    // Another user's notification is as unknown as a made-up id: nothing about it is revealed.
    if (!found) throw userError('NOT_FOUND', `You have no notification with id ${id}.`, { field: 'afterId' });
    return found.seq;
  },
};
