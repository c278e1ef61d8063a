import { Pool, type PoolClient } from 'pg';
import type { GuardedPool } from '../GuardedPool';

/** A request for a shard that stayed fenced (being moved) longer than the bound: retry shortly. */
export class ShardFencedError extends Error {
  constructor(
    readonly database: string,
    waitedMs: number,
  ) {
    super(`The database ${database} is being moved and stayed fenced for ${waitedMs} ms; retry shortly.`);
    this.name = 'ShardFencedError';
  }
}

type ConnectCallback = (
  err: Error | undefined,
  client: PoolClient | undefined,
  done: (release?: unknown) => void,
) => void;

interface Fence {
  released: Promise<void>;
  release: () => void;
  since: number;
}

/**
 * The pool Prisma is given for one physical shard. It opens no connection itself: every `connect()` (Prisma's
 * transactions and queries, and `pg`'s `query()`, all go through it) is handed to the pool of the shard's current
 * placement, so moving the shard to another server is one {@link replace} — the Prisma client, and every store that
 * holds it, stay as they are. While the shard is fenced (the last instant of a move, when its old home is made
 * read-only and the copy catches up), new requests wait for the new placement, at most `fenceWaitMs`; requests in
 * flight finish on the old one, whose pool is ended once they are back.
 */
export class ShardRoute extends Pool {
  private fenceState: Fence | null = null;

  constructor(
    private pool: GuardedPool,
    readonly database: string,
    private readonly fenceWaitMs: number,
  ) {
    super({ max: 1 });
  }

  /** The pool of the current placement (for stats and raw access). */
  get current(): GuardedPool {
    return this.pool;
  }

  /** Whether new requests are held (a move's fence). */
  get fenced(): boolean {
    return this.fenceState !== null;
  }

  /** Holds new requests until {@link unfence} or {@link replace} (each waits at most `fenceWaitMs`). */
  fence(): void {
    if (this.fenceState) return;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    this.fenceState = { released, release, since: Date.now() };
  }

  /** Lets held and new requests through (to the current placement). */
  unfence(): void {
    const fence = this.fenceState;
    this.fenceState = null;
    fence?.release();
  }

  /** Routes new requests to `next`, lifts any fence, and ends the old pool once its connections are returned. */
  replace(next: GuardedPool): Promise<void> {
    const old = this.pool;
    this.pool = next;
    this.unfence();
    return old.end().catch(() => undefined);
  }

  override connect(): Promise<PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<PoolClient> | void {
    const connected = this.acquire();
    if (!callback) return connected;
    connected.then(
      (client) => callback(undefined, client, (release) => client.release(release as boolean | Error | undefined)),
      (err: Error) => callback(err, undefined, () => undefined),
    );
  }

  override end(): Promise<void>;
  override end(callback: () => void): void;
  override end(callback?: () => void): Promise<void> | void {
    this.unfence();
    const ended = this.pool.end().catch(() => undefined);
    if (!callback) return ended;
    void ended.then(() => callback());
  }

  private async acquire(): Promise<PoolClient> {
    const fence = this.fenceState;
    if (fence) {
      const started = Date.now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<'timeout'>(
        (resolve) => (timer = setTimeout(() => resolve('timeout'), this.fenceWaitMs)),
      );
      const outcome = await Promise.race([fence.released.then(() => 'released' as const), timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout') throw new ShardFencedError(this.database, Date.now() - started);
    }
    return this.pool.connect();
  }
}
