import { Client } from 'pg';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { Logger } from '@chatgraph/logging';
import { eventRoutingKey, type Topology } from '../amqp/Topology';
import { CursorWrites } from './CursorWrites';
import { EventLogReader, type LogPosition } from './EventLogReader';
import { eventKey, type RelayedEvent } from './RelayedEvent';

/** Options of {@link ShardRelay}. */
export interface ShardRelayOptions {
  /** URL of the chats shard database where it is now (read at every connect; see {@link ShardRelay.reconnect}). */
  databaseUrl: () => string;
  /** The shard's name, for logs and /status. */
  shard: string;
  /** The cursor's name (one per consumer of the log). */
  relay: string;
  /** A confirm channel: a publish resolves once the broker has the message (persisted, routed). */
  publisher: ChannelWrapper;
  topology: Topology;
  logger: Logger;
  batchSize: number;
  pollMs: number;
  lockRetryMs: number;
  /** Least time between two writes of the cursor (see {@link CursorWrites}). */
  cursorWriteMs: number;
}

/** What a relay reports on /status. */
export interface ShardRelayStatus {
  shard: string;
  /** Whether this process relays the shard now (holds its lock). */
  active: boolean;
  published: number;
  /** The cursor after the last confirmed batch (null before the first). */
  position: string | null;
  /** Reads of the log so far (empty ones included): a relay that read after a commit has seen it. */
  reads: number;
  /** Reads that found committed events held back by an open transaction (then read again soon). */
  heldBackReads: number;
}

// One advisory lock key for the relay of a shard database (advisory locks are per database).
const RELAY_LOCK_KEY = 0x72656c61; // "rela"
/**
 * The first wait before reading held-back events again; it doubles while they stay held, up to the idle poll or
 * {@link HELD_BACK_MAX_RETRY_MS}, whichever is shorter.
 */
const HELD_BACK_FIRST_RETRY_MS = 2;
const HELD_BACK_MAX_RETRY_MS = 100;
/** Batches published and not yet confirmed at most: past it the relay waits for the oldest before reading on. */
const MAX_UNCONFIRMED_BATCHES = 8;

/**
 * Relays one chats shard's event log to RabbitMQ, in commit order (see {@link EventLogReader}), at least once.
 *
 * Exactly one relay per shard works at a time, across any number of processes: it holds a session advisory lock on a
 * connection of its own, and reads, publishes and moves its cursor only while holding it. Others retry the lock every
 * `lockRetryMs`; when the holder dies its connection closes, Postgres releases the lock, and another takes over
 * within that time. A batch is published with publisher confirms and the cursor advanced past it only after every
 * message of it and of the batches before it was confirmed, so a crash or a broker outage at any point re-publishes
 * (never skips) what was not: consumers are idempotent on the event identity (`<chatId>:<seq>`, the message id).
 * The cursor is written behind the confirms, at most every `cursorWriteMs` ({@link CursorWrites}): a relay that dies
 * publishes again, from the last position written, at most that much of what it had confirmed.
 *
 * Confirms are pipelined: the relay reads and publishes the next batch while the broker confirms the last ones (up
 * to {@link MAX_UNCONFIRMED_BATCHES}), all on one channel, which delivers them in order while nothing fails. An event
 * committed while a batch waits for its confirms is read at once, not after them; consumers get a message when the
 * broker routes it, before its confirm, so the confirm wait is off every event's path. A publish that fails ends the
 * session: the relay connects again and goes on from the cursor, the last batch all of whose messages were confirmed.
 * After such a failure (or a lost channel, whose unconfirmed messages the channel wrapper sends again after the ones
 * still queued), events of the unconfirmed batches may reach consumers again and after later ones; consumers are
 * idempotent and do not depend on the order of events across chats or within a window.
 */
export class ShardRelay {
  private stopped = false;
  private running: Promise<void> | undefined;
  private client: Client | undefined;
  private wake: (() => void) | undefined;
  /** A wake-up came while the relay was reading: the next wait for new rows ends at once. */
  private nudged = false;
  private active = false;
  private published = 0;
  private reads = 0;
  private heldBackReads = 0;
  private position: LogPosition | null = null;

  constructor(private readonly options: ShardRelayOptions) {}

  /** The chats shard database it relays. */
  get shard(): string {
    return this.options.shard;
  }

  /** Starts competing for the shard (returns at once). */
  start(): void {
    this.running ??= this.run();
  }

  /** Stops relaying, releases the lock (by closing its connection) and waits for the loop to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  /**
   * Reads the log again now if this relay is waiting for new rows (a wake-up after a commit); a standby relay, waiting
   * for the lock, keeps its own pace.
   */
  nudge(): void {
    if (!this.active) return;
    this.nudged = true;
    this.wake?.();
  }

  /** Whether this relay holds the shard, and how far it got. */
  status(): ShardRelayStatus {
    const p = this.position;
    return {
      shard: this.options.shard,
      active: this.active,
      published: this.published,
      reads: this.reads,
      heldBackReads: this.heldBackReads,
      position: p ? `${p.xid}:${p.chatId}:${p.seq}` : null,
    };
  }

  private async run(): Promise<void> {
    const { logger, shard, lockRetryMs } = this.options;
    while (!this.stopped) {
      try {
        await this.session();
      } catch (err) {
        if (!this.stopped) logger.warn({ shard, err: (err as Error).message }, 'relay session ended; retrying');
      } finally {
        this.active = false;
        const client = this.client;
        this.client = undefined;
        await client?.end().catch(() => undefined);
      }
      if (!this.stopped) await this.pause(lockRetryMs);
    }
  }

  /**
   * Drops the relay's connection (the shard was placed on another server): the relay connects again where the shard
   * is now, takes the lock there and goes on from the cursor, which moved with the data.
   */
  reconnect(): void {
    void this.client?.end().catch(() => undefined);
  }

  /** One connection: wait for the lock, then relay until stopped or the connection fails. */
  private async session(): Promise<void> {
    const { databaseUrl, relay, logger, shard, lockRetryMs } = this.options;
    const client = new Client({
      connectionString: databaseUrl(),
      keepAlive: true,
      application_name: 'chatgraph-relay',
    });
    this.client = client;
    // A broken connection is reported through the next query; this only keeps it from being an uncaught error.
    client.on('error', () => undefined);
    await client.connect();
    for (;;) {
      if (this.stopped) return;
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
        RELAY_LOCK_KEY,
      ]);
      if (rows[0]?.locked) break;
      await this.pause(lockRetryMs);
    }
    this.active = true;
    const cursor = await EventLogReader.cursor(client, relay);
    logger.info({ shard, cursor: `${cursor.xid}:${cursor.chatId}:${cursor.seq}` }, 'relaying shard');
    // The cursor's own writes need not wait for the WAL to reach disk: a write lost in a crash of the server only
    // means its events are published again (as after a crash of the relay), and every other write of the relay's
    // connection is its cursor.
    await client.query('SET synchronous_commit = off');
    const cursorWrites = new CursorWrites(
      (to) => EventLogReader.advance(client, relay, to),
      this.options.cursorWriteMs,
      this.wakeNow,
    );
    const confirms = new ConfirmedBatches(this.wakeNow);
    try {
      await this.relayFrom(client, cursor, confirms, cursorWrites);
    } finally {
      // Stopping (or failing): what was confirmed moves the cursor; what was not is published again by the next relay.
      await confirms.settled();
      // A session that ended with its connection (a lost server, a shard move) cannot write it: the next session
      // goes on from the last position written, and the failure was reported where it ended the session.
      await cursorWrites.finish().catch((err: unknown) => {
        logger.debug({ shard, err: (err as Error).message }, 'relay cursor not written at the end of the session');
      });
    }
  }

  /** A failed batch: the loop sees it at once (no pause), wherever it is. */
  private readonly wakeNow = () => {
    this.nudged = true;
    this.wake?.();
  };

  /** Reads and publishes from `cursor` until stopped; confirmed batches advance the cursor in order (`confirms`). */
  private async relayFrom(
    client: Client,
    cursor: LogPosition,
    confirms: ConfirmedBatches,
    cursorWrites: CursorWrites,
  ): Promise<void> {
    const { pollMs, batchSize } = this.options;
    let heldBackWaitMs = 0;
    while (!this.stopped) {
      confirms.throwIfFailed();
      cursorWrites.throwIfFailed();
      this.nudged = false;
      const { batch, heldBack } = await EventLogReader.read(client, cursor, batchSize);
      this.reads++;
      if (heldBack) this.heldBackReads++;
      // A batch refused while this read ran: publish nothing after it.
      confirms.throwIfFailed();
      if (batch) {
        const { end, events } = batch;
        const published = this.publish(events, batch.traceparents);
        confirms.add(published, () => {
          cursorWrites.save(end);
          this.position = end;
          this.published += events.length;
        });
        cursor = end;
        if (confirms.pending >= MAX_UNCONFIRMED_BATCHES) await confirms.oldest();
        // A full batch: more may follow at once.
        if (events.length === batchSize) continue;
      }
      // Everything committed below the bound is out. Events that committed while this ran woke the relay (nudged);
      // events held back behind an open transaction (a concurrent send, usually for a few milliseconds) had their
      // wake-up already, so they are read again soon, backing off up to 100 ms (or the idle poll, if shorter). The
      // backoff grows only over waits for the same held-back events: progress or a wake-up starts it again.
      if (this.nudged || !heldBack) {
        heldBackWaitMs = 0;
        if (!this.nudged) await this.pause(pollMs);
        continue;
      }
      const previous = batch ? 0 : heldBackWaitMs;
      heldBackWaitMs = Math.min(pollMs, HELD_BACK_MAX_RETRY_MS, Math.max(HELD_BACK_FIRST_RETRY_MS, previous * 2));
      await this.pause(heldBackWaitMs);
    }
  }

  /**
   * Publishes a batch and resolves once the broker confirmed every message of it. An event written by a traced
   * request carries that trace context in its headers (`traceparent`): the consumers' work joins the send's trace.
   */
  private async publish(events: readonly RelayedEvent[], traceparents: ReadonlyArray<string | null>): Promise<void> {
    const { publisher, topology } = this.options;
    await Promise.all(
      events.map((event, i) => {
        const traceparent = traceparents[i];
        return publisher.publish(
          topology.eventsExchange,
          eventRoutingKey(event.type),
          Buffer.from(JSON.stringify(event)),
          {
            persistent: true,
            messageId: eventKey(event),
            contentType: 'application/json',
            type: event.type,
            timestamp: Math.floor(Date.parse(event.at) / 1000),
            ...(traceparent ? { headers: { traceparent } } : {}),
          },
        );
      }),
    );
  }

  /** Waits `ms`, or less when stopped or woken. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      // Stopped while it was reading: no wait (stop() could only wake a wait that had begun).
      if (this.stopped) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

/**
 * The batches a relay published and the broker has not all confirmed yet, in publish order. Each batch's `confirmed`
 * step (the cursor moves past it) runs once its messages and those of every earlier batch are confirmed, one
 * after the other. The first failure stops the steps (no later batch moves the cursor past an unconfirmed one) and is
 * thrown by {@link throwIfFailed}; `onFailure` wakes the relay to see it.
 */
class ConfirmedBatches {
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;
  private readonly waits: Array<Promise<void>> = [];

  constructor(private readonly onFailure: () => void) {}

  /** Batches published and not yet through their `confirmed` step. */
  get pending(): number {
    return this.waits.length;
  }

  add(published: Promise<void>, confirmed: () => void): void {
    // Observed at once, so a rejection waiting behind earlier batches is never reported as unhandled.
    published.catch(() => undefined);
    const done = this.chain.then(async () => {
      await published;
      if (this.failure === undefined) confirmed();
    });
    this.chain = done.catch((err: unknown) => {
      this.failure ??= err;
      this.onFailure();
    });
    const wait = this.chain.then(() => {
      this.waits.splice(this.waits.indexOf(wait), 1);
    });
    this.waits.push(wait);
  }

  /** Resolves when the oldest pending batch is through (or failed). */
  async oldest(): Promise<void> {
    await this.waits[0];
  }

  /** Resolves when every batch added so far is through, or the first failure stopped them. */
  async settled(): Promise<void> {
    await this.chain;
  }

  throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
