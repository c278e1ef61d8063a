import type { ChatsClient, ShardedDatabase } from '@chatgraph/db';
import type { Logger } from '@chatgraph/logging';
import type { CommitListener, CommittedChange } from '../storage/records';
import { ActivityIndex } from '../storage/ActivityIndex';
import { UserChatIndex } from '../storage/UserChatIndex';
import type { EventPublisher } from './EventPublisher';

/** Test hooks into the steps after a commit. */
export interface ChangeFeedHooks {
  /**
   * Runs after a membership change committed and before its index outbox rows are applied to the users' shards.
   * Throwing here stands for the process dying at that point: the outbox rows stay, nothing is published, and the
   * `IndexRepairer` has to converge the index.
   */
  beforeIndexApply?: (info: { chatId: bigint; outboxIds: bigint[] }) => void | Promise<void>;
  /**
   * Runs after a change that moved the chat's activity committed, before the members' chat lists get the new time.
   * Throwing stands for the process dying there: the `activity_outbox` row stays for the `IndexRepairer` (the change's
   * events, when it moved no membership, are already published).
   */
  beforeActivityApply?: (info: { chatId: bigint; at: Date }) => void | Promise<void>;
}

/**
 * What happens after a chat-changing transaction commits: the user → chats index is brought in line (outbox rows
 * applied, see {@link UserChatIndex}), the members' chat lists get the chat's new activity time (see
 * {@link ActivityIndex}), then the activities are published (so a client that re-reads its list on an activity event
 * finds the chat where it now belongs); the chat's events go out at once unless the change moved a membership. None
 * of it can undo the commit; a failure is logged, the outbox rows are left for the `IndexRepairer`, and the caller
 * still gets its result.
 */
export class ChangeFeed implements CommitListener {
  private readonly index: UserChatIndex;
  private readonly activity: ActivityIndex;

  constructor(
    private readonly db: ShardedDatabase<ChatsClient>,
    private readonly publisher: EventPublisher,
    private readonly logger: Logger,
    private readonly hooks: ChangeFeedHooks = {},
  ) {
    this.index = new UserChatIndex(db);
    this.activity = new ActivityIndex(db);
  }

  /**
   * Applies the change's outbox rows and activity time, then publishes its activities. The events of a change that
   * moved no membership (a message, an edit, a reaction) are published at once, without waiting for the members' chat
   * lists: live delivery does not wait for those statements, and the publishes of a chat's concurrent sends stay in
   * commit order far more often (the gateway puts crossed ones back in order, but only within its reorder window).
   * A membership change's events wait for the index, so a user told of a chat finds it in their list. Never rejects.
   */
  async committed(change: CommittedChange): Promise<void> {
    const committedAt = Date.now();
    const early =
      change.outboxIds.length === 0 ? this.publisher.publishChange(change, committedAt, ['events']) : undefined;
    try {
      if (change.outboxIds.length > 0) {
        await this.hooks.beforeIndexApply?.({ chatId: change.chatId, outboxIds: change.outboxIds });
        try {
          await this.index.apply(this.db.shardFor(change.chatId).index, { ids: change.outboxIds });
        } catch (err) {
          this.logger.warn(
            { err, chatId: change.chatId.toString() },
            'index update failed; the repairer will apply it',
          );
        }
      }
      if (change.activityAt) {
        await this.hooks.beforeActivityApply?.({ chatId: change.chatId, at: change.activityAt });
        try {
          await this.activity.touch(change.chatId, change.memberIds, change.activityAt);
        } catch (err) {
          this.logger.warn(
            { err, chatId: change.chatId.toString() },
            'chat list activity update failed; the repairer will apply it',
          );
        }
      }
    } catch (err) {
      this.logger.error({ err, chatId: change.chatId.toString() }, 'stopped after commit (hook)');
      await early;
      return;
    }
    await Promise.all([
      early,
      this.publisher.publishChange(change, committedAt, early ? ['activities'] : ['events', 'activities']),
    ]);
  }
}
