import { badInput } from '@chatgraph/errors';
import type { NotificationsContext } from '../context';
import { endpointArg, pushSubscriptionArgs, readSelectionArg, requireViewer } from './args';

/** Resolvers of `Mutation`. */
export const Mutation = {
  markNotificationsRead(
    _: unknown,
    args: { ids?: string[] | null; all?: boolean | null },
    ctx: NotificationsContext,
  ): Promise<number> {
    const viewer = requireViewer(ctx.viewerId);
    return ctx.stores.notifications.markRead(viewer, readSelectionArg(args.ids, args.all));
  },

  async registerPushSubscription(
    _: unknown,
    args: { endpoint: string; p256dh: string; auth: string },
    ctx: NotificationsContext,
  ): Promise<boolean> {
    const viewer = requireViewer(ctx.viewerId);
    const { endpoint, p256dh, auth } = pushSubscriptionArgs(args);
    // The notifier POSTs to it: no private, loopback or link-local targets (SSRF), checked after DNS resolution here
    // and again when it connects.
    const problem = await ctx.webhookTargets.problemWith(endpoint);
    if (problem) throw badInput('endpoint', `endpoint ${problem}.`);
    await ctx.stores.pushSubscriptions.register(viewer, endpoint, p256dh, auth);
    return true;
  },

  unregisterPushSubscription(_: unknown, args: { endpoint: string }, ctx: NotificationsContext): Promise<boolean> {
    const viewer = requireViewer(ctx.viewerId);
    return ctx.stores.pushSubscriptions.unregister(viewer, endpointArg(args.endpoint));
  },
};
