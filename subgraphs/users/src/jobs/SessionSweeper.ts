import type { ShardedDatabase, UsersClient } from '@chatgraph/db';
import type { Logger } from '@chatgraph/logging';

/** Options of {@link SessionSweeper}. */
export interface SessionSweeperOptions {
  db: ShardedDatabase<UsersClient>;
  logger: Logger;
  /** Time between passes. @default 3600000 (an hour) */
  intervalMs?: number;
  /** A session is deleted this long after its absolute expiry. @default 86400000 (a day) */
  keepMs?: number;
  /** Sessions deleted per statement. @default 500 */
  batchSize?: number;
  /** @default Date.now */
  now?: () => number;
}

/**
 * Deletes sessions (and, by cascade, their refresh token hashes) a day after their absolute expiry. Every session ends
 * by then whatever else happened to it (idle, revoked), so the tables hold about `REFRESH_TTL_DAYS` of sign-ins, and
 * the sweep reads one index (`expires_at`, never updated) rather than the whole table. Runs once at start and then
 * periodically; several instances may run at once (deleting a row twice is a no-op).
 */
export class SessionSweeper {
  private readonly intervalMs: number;
  private readonly keepMs: number;
  private readonly batchSize: number;
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private stopped = false;

  constructor(private readonly options: SessionSweeperOptions) {
    this.intervalMs = options.intervalMs ?? 3600_000;
    this.keepMs = options.keepMs ?? 86400_000;
    this.batchSize = options.batchSize ?? 500;
    this.now = options.now ?? Date.now;
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

  /** One pass over every users shard; resolves with the number of sessions deleted, never rejects. */
  runOnce(): Promise<number> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Stops the passes and waits for the one under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async pass(): Promise<number> {
    const cutoff = new Date(this.now() - this.keepMs);
    let total = 0;
    await Promise.all(
      this.options.db.all().map(async ({ client, shard }) => {
        try {
          for (;;) {
            const deleted = await client.$executeRaw`
              DELETE FROM sessions WHERE id IN (
                SELECT id FROM sessions WHERE expires_at < ${cutoff} LIMIT ${this.batchSize}
              )`;
            total += deleted;
            if (deleted < this.batchSize || this.stopped) break;
          }
        } catch (err) {
          this.options.logger.warn({ err, shard: shard.database }, 'session sweep failed; retrying next pass');
        }
      }),
    );
    if (total > 0) this.options.logger.info({ deleted: total }, 'expired sessions deleted');
    return total;
  }
}
