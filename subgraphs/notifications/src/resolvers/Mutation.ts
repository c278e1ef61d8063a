import { badInput } from '@chatgraph/errors';
import type { NotificationsContext } from '../context';
import type { NotificationPreference } from '../policy/alertPolicy';
import type { NotificationKind } from '../storage/records';
import { endpointArg, pushSubscriptionArgs, readSelectionArg, requireViewer } from './args';

/** The longest do-not-disturb: a year. */
const MAX_DO_NOT_DISTURB_MS = 366 * 24 * 3600_000;

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

  updateNotificationPreferences(
    _: unknown,
    args: { kind: NotificationKind; push: boolean; email: boolean },
    ctx: NotificationsContext,
  ): Promise<NotificationPreference[]> {
    const viewer = requireViewer(ctx.viewerId);
    return ctx.stores.preferences.update(viewer, args.kind, args.push, args.email);
  },

  async setDoNotDisturb(_: unknown, args: { until?: Date | null }, ctx: NotificationsContext): Promise<Date | null> {
    const viewer = requireViewer(ctx.viewerId);
    const now = new Date();
    const until = args.until && args.until > now ? args.until : null;
    if (until && until.getTime() - now.getTime() > MAX_DO_NOT_DISTURB_MS)
      throw badInput('until', 'Do-not-disturb can last at most a year.');
    await ctx.stores.preferences.setDoNotDisturb(viewer, until);
    return until;
  },

  unregisterPushSubscription(_: unknown, args: { endpoint: string }, ctx: NotificationsContext): Promise<boolean> {
    const viewer = requireViewer(ctx.viewerId);
    return ctx.stores.pushSubscriptions.unregister(viewer, endpointArg(args.endpoint));
  },
};
