import { userError } from '@chatgraph/errors';
import type { PresenceContext } from './PresenceContext';
import { parseUserIds } from './parseUserIds';
import { requireViewer } from './requireViewer';

/** `Query` fields (internal ones, for the gateway). */
export const Query = {
  /**
   * The `authorize` check of `presenceChanged`: validates the list, then the viewer may watch themselves and users
   * they share a chat with; anyone else in the list is `FORBIDDEN` (naming the first such entry).
   */
  async canWatchPresence(
    _: unknown,
    args: { userIds: readonly unknown[] },
    context: PresenceContext,
  ): Promise<boolean> {
    requireViewer(context);
    const ids = parseUserIds(args.userIds, 'userIds');
    const answers = await context.visible.loadMany(ids);
    for (const [i, answer] of answers.entries()) {
      if (answer instanceof Error) throw answer;
      if (!answer)
        throw userError(
          'FORBIDDEN',
          `You may watch the presence of users you share a chat with; user ${ids[i]} is not one of them.`,
          { field: 'userIds' },
        );
    }
    return true;
  },
};
