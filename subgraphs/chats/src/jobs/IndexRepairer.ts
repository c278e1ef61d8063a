import type { ChatsClient, ShardedDatabase } from '@chatgraph/db';
import type { Logger } from '@chatgraph/logging';
import { ActivityIndex } from '../storage/ActivityIndex';
import { UserChatIndex } from '../storage/UserChatIndex';

/** Options of {@link IndexRepairer}. */
export interface IndexRepairerOptions {
  db: ShardedDatabase<ChatsClient>;
  logger: Logger;
  /** Time between passes. @default 5000 */
  intervalMs?: number;
  /**
   * Outbox rows younger than this are left to the request that wrote them (it applies them right after its commit).
   * @default 5000
   */
  minAgeMs?: number;
  /** Rows claimed per transaction. @default 200 */
  batchSize?: number;
}

/**
 * Replays `index_outbox` rows that nobody applied: a process that committed a membership change and died before
 * updating the users' `user_chats` rows leaves them behind. Likewise `activity_outbox` rows: a chat's activity time
 * that did not reach its members' chat lists (see `ActivityIndex`). Runs once on start and then periodically. Several
 * instances may run at once: rows are claimed with `FOR UPDATE SKIP LOCKED` and applied from the current membership
 * (see {@link UserChatIndex.apply}), so two repairers never apply the same row and never write a stale state.
 */
export class IndexRepairer {
  private readonly index: UserChatIndex;
  private readonly activity: ActivityIndex;
  private readonly intervalMs: number;
  private readonly minAgeMs: number;
  private readonly batchSize: number;
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private stopped = false;

  constructor(private readonly options: IndexRepairerOptions) {
    this.index = new UserChatIndex(options.db);
    this.activity = new ActivityIndex(options.db);
    this.intervalMs = options.intervalMs ?? 5000;
    this.minAgeMs = options.minAgeMs ?? 5000;
    this.batchSize = options.batchSize ?? 200;
  }

  /** Starts the periodic passes (the first one now). */
  start(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      void this.runOnce().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs);
      });
    };
    tick();
  }

  /**
   * One pass over every chat shard: applies the outbox rows older than `minAgeMs` (default: the configured one).
   * Resolves with the number of `index_outbox` rows applied (the `activity_outbox` rows applied are logged); never
   * rejects (a failing shard is logged and retried next pass).
   */
  runOnce(minAgeMs = this.minAgeMs): Promise<number> {
    // Passes of one instance do not overlap; a second caller waits for the pass under way.
    this.running ??= this.pass(minAgeMs).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(minAgeMs: number): Promise<number> {
    let total = 0;
    let activity = 0;
    await Promise.all(
      this.options.db.all().map(async ({ shard }) => {
        try {
          for (;;) {
            const applied = await this.index.apply(shard.index, { olderThanMs: minAgeMs, limit: this.batchSize });
            total += applied;
            if (applied < this.batchSize || this.stopped) break;
          }
          for (;;) {
            const applied = await this.activity.repair(shard.index, minAgeMs, this.batchSize);
            activity += applied;
            if (applied < this.batchSize || this.stopped) break;
          }
        } catch (err) {
          this.options.logger.warn({ err, shard: shard.database }, 'index repair pass failed; retrying next pass');
        }
      }),
    );
    if (total > 0 || activity > 0)
      this.options.logger.info({ applied: total, activity }, 'index repair applied leftover outbox rows');
    return total;
  }

  /** Stops the passes and waits for the one under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}
