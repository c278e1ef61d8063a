import type { PresenceContext } from './PresenceContext';
import { parseUserIds } from './parseUserIds';
import { requireViewer } from './requireViewer';

/** `Query` fields (internal ones, for the gateway). */
export const Query = {
  /** The `authorize` check of `presenceChanged`: validates the list; any signed-in user may watch anyone. */
  canWatchPresence(_: unknown, args: { userIds: readonly unknown[] }, context: PresenceContext): boolean {
    requireViewer(context);
    parseUserIds(args.userIds, 'userIds');
    return true;
  },
};
