import { Pool } from 'pg';
import { parseLsn, type Lsn } from './lsn';

/** How a replica looked at its last probe, and what follows for reads. */
export interface ReplicaState {
  /** When its last probe succeeded (ms since epoch), 0: never. */
  okAt: number;
  /** Whether it was still replaying WAL (`pg_is_in_recovery()`); a promoted server is no replica any more. */
  inRecovery: boolean;
  /** WAL replayed (`pg_last_wal_replay_lsn()`): every transaction committed at or before it is visible there. */
  replayed: Lsn | null;
  /** Bytes of WAL the primary had written and the replica had not replayed, at the last probe. */
  lagBytes: number | null;
  /**
   * How long the replica had been missing WAL the primary had written, at the last probe: the time since the primary
   * was first seen past the replayed position (0 when caught up, even if nothing was written for hours). Null when
   * unknown (never probed, or behind every position the monitor has seen, e.g. just after start).
   */
  lagMs: number | null;
  /** A read on it failed since its last probe (a killed server): skipped until a probe succeeds again. */
  failed: boolean;
}

/** One position of the primary and when it was first seen. */
interface Sample {
  at: number;
  lsn: Lsn;
}

/** What {@link ShardLagMonitor} watches. */
export interface LagMonitorOptions {
  /** The primary database's URL. */
  primaryUrl: string;
  /** The replicas' URLs (same database). */
  replicaUrls: readonly string[];
  /** Probe period. */
  intervalMs: number;
  /** Longest a probe may take. */
  timeoutMs: number;
  /** Primary positions kept to date a replica's lag (only changes are kept; the newest is never dropped). */
  windowMs: number;
}

const PRIMARY_PROBE = 'SELECT pg_current_wal_lsn()::text AS lsn';
const REPLICA_PROBE = 'SELECT pg_is_in_recovery() AS recovery, pg_last_wal_replay_lsn()::text AS replayed';

/**
 * The replication lag of the replicas of one physical shard, probed every `intervalMs` on small pools of their own
 * (one connection each, never the pools reads use): the primary's `pg_current_wal_lsn()` and each replica's
 * `pg_is_in_recovery()` and `pg_last_wal_replay_lsn()`.
 *
 * Lag in bytes is the difference of the positions. Lag in time is not `now() - pg_last_xact_replay_timestamp()`,
 * which grows while nothing is written although the replica is caught up: the monitor remembers when it first saw
 * the primary at each position, and a replica's lag is the time since the primary was first seen past what the
 * replica replayed (0 when it replayed everything the primary had written at the probe).
 */
export class ShardLagMonitor {
  readonly replicas: ReplicaState[];
  /** When the primary last answered its probe (0: never). */
  primaryOkAt = 0;
  private readonly primary: Pool;
  private readonly probes: Pool[];
  private readonly samples: Sample[] = [];
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private closed = false;

  constructor(private readonly options: LagMonitorOptions) {
    const pool = (connectionString: string) => {
      const p = new Pool({
        connectionString,
        max: 1,
        idleTimeoutMillis: 0,
        connectionTimeoutMillis: options.timeoutMs,
        query_timeout: options.timeoutMs,
        application_name: 'chatgraph-replica-monitor',
      });
      // A server going away must not crash the process; the next probe reconnects.
      p.on('error', () => undefined);
      return p;
    };
    this.primary = pool(options.primaryUrl);
    this.probes = options.replicaUrls.map(pool);
    this.replicas = options.replicaUrls.map(() => ({
      okAt: 0,
      inRecovery: false,
      replayed: null,
      lagBytes: null,
      lagMs: null,
      failed: false,
    }));
  }

  /** Probes now, then every `intervalMs` (a probe still running is not overlapped). */
  start(): void {
    if (this.timer || this.closed) return;
    void this.probe();
    this.timer = setInterval(() => void this.probe(), this.options.intervalMs);
    this.timer.unref();
  }

  /** One probe of the primary and every replica (tests call it to avoid waiting). */
  probe(): Promise<void> {
    this.running ??= this.probeOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private async probeOnce(): Promise<void> {
    let primaryAt: Lsn | null = null;
    try {
      const { rows } = await this.primary.query<{ lsn: string }>(PRIMARY_PROBE);
      primaryAt = parseLsn(rows[0]!.lsn);
      const now = Date.now();
      this.primaryOkAt = now;
      this.remember(now, primaryAt!);
    } catch {
      // The primary's position is unknown: replicas cannot be dated (see healthy()).
    }
    await Promise.all(
      this.probes.map(async (pool, i) => {
        const state = this.replicas[i]!;
        try {
          const { rows } = await pool.query<{ recovery: boolean; replayed: string | null }>(REPLICA_PROBE);
          const now = Date.now();
          const replayed = parseLsn(rows[0]!.replayed);
          state.okAt = now;
          state.inRecovery = rows[0]!.recovery;
          state.replayed = replayed;
          state.failed = false;
          if (replayed === null || primaryAt === null) {
            state.lagBytes = null;
            state.lagMs = null;
          } else {
            state.lagBytes = replayed >= primaryAt ? 0 : Number(primaryAt - replayed);
            state.lagMs = this.lagOf(replayed, now);
          }
        } catch {
          // Not answering: its okAt ages (and with it its health).
        }
      }),
    );
  }

  /** Records the primary at `lsn` at `now` if it moved, and forgets positions older than the window. */
  private remember(now: number, lsn: Lsn): void {
    const last = this.samples[this.samples.length - 1];
    if (!last || lsn > last.lsn) this.samples.push({ at: now, lsn });
    while (this.samples.length > 1 && this.samples[0]!.at < now - this.options.windowMs) this.samples.shift();
  }

  /** The time since the primary was first seen past `replayed`; null if it was past it at every sample kept. */
  private lagOf(replayed: Lsn, now: number): number | null {
    const first = this.samples.find((s) => s.lsn > replayed);
    if (!first) return 0;
    if (first === this.samples[0]) return null;
    return Math.max(0, now - first.at);
  }

  /** The lag in ms as metrics show it: at the last probe, plus the time since if the replica stopped answering. */
  lagForMetrics(i: number, now = Date.now()): number | null {
    const state = this.replicas[i]!;
    if (state.okAt === 0) return null;
    const lag = state.lagMs ?? now - (this.samples[0]?.at ?? now);
    const silence = now - state.okAt;
    return silence > this.options.intervalMs * 2 ? lag + silence : lag;
  }

  /** Stops probing and closes the probe pools. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
    await Promise.all([this.primary, ...this.probes].map((p) => p.end().catch(() => undefined)));
  }
}
