import type { Logger } from '@chatgraph/logging';
import type { PresenceStore } from './storage/PresenceStore';

/** Options of {@link PresenceSweeper}. */
export interface PresenceSweeperOptions {
  store: PresenceStore;
  /** Pause between sweeps (config `PRESENCE_SWEEP_INTERVAL_MS`). */
  intervalMs: number;
  logger: Logger;
  /**
   * Lapsed users claimed per script call; a sweep repeats calls until fewer come back. Small, because each call
   * holds Redis for its duration (about 1 ms per 100 users). @default 100
   */
  batchSize?: number;
}

/**
 * Announces users whose heartbeats stopped: every `intervalMs` it claims the users whose TTL has lapsed and
 * publishes their OFFLINE transition. Every presence instance runs one; the claim is atomic in Redis, so each
 * transition is published once however many sweepers run. A Redis outage is logged and the next sweep tries again.
 */
export class PresenceSweeper {
  private readonly store: PresenceStore;
  private readonly intervalMs: number;
  private readonly logger: Logger;
  private readonly batchSize: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private started = false;
  private stopping = false;
  private failing = false;
  private publishedTotal = 0;

  constructor(options: PresenceSweeperOptions) {
    this.store = options.store;
    this.intervalMs = options.intervalMs;
    this.logger = options.logger;
    this.batchSize = options.batchSize ?? 100;
  }

  /** Transitions this sweeper published since it was made. */
  get published(): number {
    return this.publishedTotal;
  }

  /** Starts sweeping (the first sweep after one interval). Calling it twice does nothing. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.stopping = false;
    this.schedule(this.intervalMs);
  }

  /** Stops sweeping and waits for a sweep in progress to end. */
  async stop(): Promise<void> {
    this.started = false;
    this.stopping = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * Sweeps until no lapsed user is left (in batches). Resolves with the number of transitions published; rejects
   * when Redis cannot be reached.
   */
  async sweepOnce(): Promise<number> {
    let published = 0;
    for (;;) {
      const result = await this.store.sweep(this.batchSize);
      published += result.published;
      this.publishedTotal += result.published;
      if (result.claimed < this.batchSize || this.stopping) return published;
    }
  }

  private schedule(delayMs: number): void {
    if (!this.started) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = undefined;
        this.schedule(this.intervalMs);
      });
    }, delayMs);
    // The sweeper alone must not keep a process alive.
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      const published = await this.sweepOnce();
      if (published > 0) this.logger.debug({ published }, 'presence: lapsed users announced offline');
      if (this.failing) this.logger.info('presence sweeper: redis reachable again');
      this.failing = false;
    } catch (err) {
      // Log the first failure of a series only; an outage would otherwise log every interval.
      if (!this.failing) {
        this.logger.warn({ err: (err as Error).message }, 'presence sweeper: sweep failed, will retry');
      }
      this.failing = true;
    }
  }
}
