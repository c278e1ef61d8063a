import { badInput, userError } from '@chatgraph/errors';
import type { Presence, PresenceStatus } from '../storage/Presence';
import type { PresenceContext } from './PresenceContext';
import { requireViewer } from './requireViewer';

/** `Mutation` fields: the viewer reports or ends their own presence. */
export const Mutation = {
  async heartbeat(_: unknown, args: { status: PresenceStatus }, context: PresenceContext): Promise<Presence> {
    const viewerId = requireViewer(context);
    if (args.status === 'OFFLINE')
      throw badInput('status', 'heartbeat accepts ONLINE or AWAY; to go offline call goOffline.');
    const result = await context.store.heartbeat(viewerId, args.status);
    if (!result.ok) {
      throw userError(
        'RATE_LIMITED',
        `Too many heartbeats from this user; try again in ${Math.ceil(result.retryAfterMs / 1000)} s.`,
        { retryAfterMs: result.retryAfterMs },
      );
    }
    context.presence.clear(viewerId).prime(viewerId, result.presence);
    return result.presence;
  },

  async goOffline(_: unknown, _args: unknown, context: PresenceContext): Promise<Presence> {
    const viewerId = requireViewer(context);
    const { presence } = await context.store.goOffline(viewerId);
    context.presence.clear(viewerId).prime(viewerId, presence);
    return presence;
  },
};
