/**
 * The relay on a real chats shard and the machine's RabbitMQ (exchanges of the test's own): events are published in
 * commit order, so an event whose transaction took its place earlier but commits later is not skipped; one relay per
 * shard works at a time, and another takes over from the cursor when it stops.
 */
import { randomBytes } from 'node:crypto';
import amqp, { type AmqpConnectionManager, type ChannelWrapper } from 'amqp-connection-manager';
import amqplib, { type Channel } from 'amqplib';
import Redis from 'ioredis';
import { Client } from 'pg';
import { databaseUrl, shardMapFor } from '@chatgraph/db';
import { createLogger } from '@chatgraph/logging';
import { ChannelSubscriber, RedisEventBus, relayWakeupChannel } from '@chatgraph/pubsub';
import { createTestDatabases, RedisCluster, testConfig, waitUntil, type TestDatabases } from '@chatgraph/testing';
import { Topology } from '../src/amqp/Topology';
import { NotifierMetrics } from '../src/metrics/NotifierMetrics';
import type { RelayedEvent } from '../src/relay/RelayedEvent';
import { RelayWakeups } from '../src/relay/RelayWakeups';
import { StoredMentions } from '../src/inbox/ChatFeatureFilters';
import { ShardRelay } from '../src/relay/ShardRelay';

const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

describe('ShardRelay', () => {
  const config = testConfig({ CHATS_SHARDS: '1' });
  const prefix = `t${randomBytes(5).toString('hex')}`;
  const topology = new Topology({ prefix, retryDelaysMs: [100], deliveryLimit: 5 });
  const logger = createLogger('relay-test', config);
  const url = databaseUrl(config.DATABASE_URL, shardMapFor(config, 'chats').shards[0]!.database);
  let dbs: TestDatabases;
  let connection: AmqpConnectionManager;
  let publisher: ChannelWrapper;
  let sql: Client;
  let received: RelayedEvent[];
  let consumer: amqplib.ChannelModel;
  const relays: ShardRelay[] = [];

  /** A relay of the shard (cursor `name`; a new name starts at the log's end). */
  const relay = (pollMs = 10, cursorWriteMs = 10, name = 'test') => {
    const r = new ShardRelay({
      databaseUrl: () => url,
      shard: 'chats_0',
      relay: name,
      publisher,
      topology,
      logger,
      batchSize: 10,
      pollMs,
      lockRetryMs: 100,
      cursorWriteMs,
    });
    relays.push(r);
    return r;
  };

  /** The cursor of relay `name` as written in the database (`xid:chat:seq`, like `status().position`). */
  const cursorOf = async (name: string) =>
    (
      await sql.query<{ c: string }>(
        `SELECT xid || ':' || chat_id || ':' || seq AS c FROM event_relay_cursors WHERE relay = $1`,
        [name],
      )
    ).rows[0]?.c;

  /** Appends an event to a chat the way the chats service does (seq taken under the chat row lock). */
  const appendEvent = (client: Client, chatId: bigint) =>
    client.query(
      `WITH bump AS (UPDATE chats SET last_seq = last_seq + 1 WHERE id = $1 RETURNING id, last_seq)
       INSERT INTO chat_events (chat_id, seq, type, actor_id) SELECT id, last_seq, 'CHAT_UPDATED', 1 FROM bump`,
      [chatId.toString()],
    );

  const createChat = async (id: bigint) => {
    await sql.query(`INSERT INTO chats (id, kind, title, created_by) VALUES ($1, 'GROUP', 't', 1)`, [id.toString()]);
  };

  beforeAll(async () => {
    dbs = await createTestDatabases(config);
    sql = new Client({ connectionString: url });
    await sql.connect();
    connection = amqp.connect([AMQP_URL]);
    publisher = connection.createChannel({ confirm: true, setup: (ch: Channel) => topology.assert(ch) });
    await publisher.waitForConnect();
    consumer = await amqplib.connect(AMQP_URL);
    const channel = await consumer.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, topology.eventsExchange, 'chat.#');
    received = [];
    await channel.consume(queue, (msg) => received.push(JSON.parse(msg!.content.toString())), { noAck: true });
  });

  afterAll(async () => {
    await Promise.all(relays.map((r) => r.stop()));
    await consumer?.close();
    const ch = await publisher.waitForConnect().then(() => publisher);
    for (const q of topology.queues) {
      for (const name of [q.name, q.dlq, ...q.retries.map((r) => r.name)]) await ch.deleteQueue(name);
    }
    for (const e of [topology.eventsExchange, topology.workExchange, topology.deadExchange]) await ch.deleteExchange(e);
    await publisher?.close();
    await connection?.close();
    await sql?.end();
    await dbs?.drop();
  });

  it('publishes an event whose transaction commits after a later one, once, in commit order', async () => {
    await createChat(101n);
    await createChat(102n);
    const first = relay();
    first.start();
    await waitUntil('the relay reads the log', () => first.status().active && first.status().reads > 0);

    // T1 takes chat 101's next seq and stays open; T2 writes chat 102 and commits.
    const t1 = new Client({ connectionString: url });
    await t1.connect();
    await t1.query('BEGIN');
    await appendEvent(t1, 101n);
    await appendEvent(sql, 102n);
    const readsBefore = first.status().reads;
    await waitUntil('the relay read the log again after T2 committed', () => first.status().reads > readsBefore + 3);
    // T2 is held back while T1 may still commit below it: nothing was published past T1's place.
    expect(received).toEqual([]);
    await t1.query('COMMIT');
    await t1.end();

    await waitUntil('both events are published', () => received.length >= 2);
    expect(received.map((e) => `${e.chatId}:${e.seq}`)).toEqual(['101:1', '102:1']);
    expect(received[0]).toMatchObject({
      v: 1,
      type: 'CHAT_UPDATED',
      actorId: '1',
      chat: { kind: 'GROUP' },
      message: null,
    });
  });

  it('lets one relay per shard work; another takes over from the cursor when it stops', async () => {
    const [first] = relays;
    const second = relay();
    second.start();
    await appendEvent(sql, 101n);
    await waitUntil('the event is published', () => received.length === 3);
    expect(second.status().active).toBe(false);

    await first!.stop();
    await waitUntil('the second relay took the shard over', () => second.status().active);
    await appendEvent(sql, 102n);
    await waitUntil('the next event is published', () => received.length >= 4);
    await waitUntil('the second relay read again', () => second.status().reads > 2);
    // Resumed from the cursor: nothing confirmed before was published again.
    expect(received.map((e) => `${e.chatId}:${e.seq}`)).toEqual(['101:1', '102:1', '101:2', '102:2']);
  });

  it('reads at once when a commit is announced on Redis, not at its next poll', async () => {
    await Promise.all(relays.map((r) => r.stop()));
    // Polling every ten minutes: only the wake-up can get the next event out within the test.
    const sleepy = relay(600_000);
    const subscriber = new Redis(config.REDIS_URL);
    const announcer = new Redis(config.REDIS_URL);
    const wakeups = new RelayWakeups(new ChannelSubscriber(subscriber, logger), [sleepy]);
    try {
      await wakeups.start();
      sleepy.start();
      await waitUntil('the relay read the log once', () => sleepy.status().active && sleepy.status().reads > 0);
      await appendEvent(sql, 101n);
      await announcer.publish('chat:101', '{}');
      await waitUntil('the event is published', () => received.length >= 5);
      expect(received.map((e) => `${e.chatId}:${e.seq}`).slice(4)).toEqual(['101:3']);
    } finally {
      await wakeups.stop();
      subscriber.disconnect();
      announcer.disconnect();
    }
  });

  it('reads events held back by an open transaction as soon as it ends, without waiting for a wake-up or a poll', async () => {
    await Promise.all(relays.map((r) => r.stop()));
    // An older transaction elsewhere on the server holds the bound back (it has a transaction id and stays open).
    const older = new Client({ connectionString: url });
    await older.connect();
    try {
      await older.query('BEGIN');
      await older.query('SELECT pg_current_xact_id()');
      const before = received.length;
      await appendEvent(sql, 101n);
      // Polling every ten minutes, and no wake-up: the relay's first read finds the event committed but held back.
      const sleepy = relay(600_000);
      sleepy.start();
      await waitUntil('the relay saw the event held back', () => sleepy.status().heldBackReads > 0);
      expect(received.length).toBe(before);
      // What an operator sees: held-back reads counted (a transaction left open shows as a steady rate of them).
      const metrics = new NotifierMetrics();
      metrics.watch({ consumers: [], relays: [sleepy], queues: [], channel: publisher, connected: () => true, logger });
      const text = await metrics.process.text();
      const heldBack = Number(/^relay_held_back_reads_total\{[^}]*shard="chats_0"[^}]*\} (\d+)/m.exec(text)?.[1]);
      expect(heldBack).toBeGreaterThan(0);
      expect(Number(/^relay_reads_total\{[^}]*shard="chats_0"[^}]*\} (\d+)/m.exec(text)?.[1])).toBeGreaterThanOrEqual(
        heldBack,
      );
      await older.query('ROLLBACK');
      await waitUntil('the event is published', () => received.length > before);
      expect(received.map((e) => `${e.chatId}:${e.seq}`).slice(before)).toEqual(['101:4']);
    } finally {
      await older.end();
    }
  });

  it('on a Redis Cluster, reads at once when the wake-up channel of its shard announces a commit', async () => {
    await Promise.all(relays.map((r) => r.stop()));
    const cluster = await RedisCluster.start();
    const location = { url: config.REDIS_URL, clusterNodes: cluster.seeds };
    const listening = new RedisEventBus({ ...location, logger });
    const chats = new RedisEventBus({ ...location, logger });
    const sleepy = relay(600_000);
    const wakeups = new RelayWakeups(listening.channels, [sleepy]);
    try {
      expect(listening.channels.sharded).toBe(true);
      await wakeups.start();
      sleepy.start();
      await waitUntil('the relay read the log once', () => sleepy.status().active && sleepy.status().reads > 0);
      const before = received.length;
      await appendEvent(sql, 102n);
      // What the chats service publishes after a commit on a cluster (no `chat:*` pattern in sharded pub/sub). Sent
      // again until the relay reads: a wake-up published before the new cluster routes the shard channel to the
      // subscribed node is lost (pub/sub is at-most-once), and with a ten-minute poll only a wake-up can get the
      // event out within the test.
      await waitUntil('the event is published', async () => {
        expect(await chats.publish(relayWakeupChannel('chats_0'), {})).toBe(true);
        await new Promise((r) => setTimeout(r, 250));
        return received.length > before;
      });
      expect(received.map((e) => `${e.chatId}:${e.seq}`).slice(before)).toEqual(['102:3']);
    } finally {
      await wakeups.stop();
      await Promise.all([listening.close(), chats.close()]);
      await cluster.close();
    }
  }, 60_000);

  it('publishes the next batch while the last waits for its confirms, and moves the cursor only past confirmed ones', async () => {
    await Promise.all(relays.map((r) => r.stop()));
    // A publisher whose confirms the test gives or refuses (the broker's part), in any order.
    const held: Array<{ key: string; confirm: () => void; refuse: (err: Error) => void }> = [];
    const holding = {
      publish: (_exchange: string, _key: string, content: Buffer) =>
        new Promise<void>((confirm, refuse) => {
          const e = JSON.parse(content.toString()) as RelayedEvent;
          held.push({ key: `${e.chatId}:${e.seq}`, confirm, refuse });
        }),
    } as unknown as ChannelWrapper;
    const r = new ShardRelay({
      databaseUrl: () => url,
      shard: 'chats_0',
      relay: 'held',
      publisher: holding,
      topology,
      logger,
      batchSize: 10,
      pollMs: 10,
      lockRetryMs: 100,
      cursorWriteMs: 10,
    });
    relays.push(r);
    const cursor = () => cursorOf('held');
    r.start();
    await waitUntil('the relay reads the log', () => r.status().active && r.status().reads > 0);
    const start = await cursor();

    await appendEvent(sql, 101n);
    await waitUntil('the first event is published', () => held.length === 1);
    // Its confirm has not come: the next event is read and published all the same.
    await appendEvent(sql, 102n);
    await waitUntil('the second event is published before the first is confirmed', () => held.length === 2);
    const [first, second] = held.map((h) => h.key);
    expect(first!.startsWith('101:')).toBe(true);
    expect(second!.startsWith('102:')).toBe(true);

    // The second is confirmed, the first refused: the cursor never passes the first, and the relay goes on from it.
    held[1]!.confirm();
    held[0]!.refuse(new Error('the broker refused the message'));
    await waitUntil('both are published again, in order', () => held.length === 4);
    expect(held.slice(2).map((h) => h.key)).toEqual([first, second]);
    expect(await cursor()).toBe(start);
    expect(r.status().published).toBe(0);

    held[2]!.confirm();
    held[3]!.confirm();
    await waitUntil('the cursor moves past both', async () => r.status().published === 2);
    await waitUntil('the cursor is written', async () => (await cursor()) === r.status().position);
    expect(await cursor()).not.toBe(start);
  });

  it('writes its cursor at most once per interval, and the last confirmed position when it stops', async () => {
    await Promise.all(relays.map((r) => r.stop()));
    const coalescing = (cursorWriteMs: number) => relay(10, cursorWriteMs, 'coalescing');
    const written = () => cursorOf('coalescing');
    // A cursor write at most every ten minutes: the first confirmed batch is written at once, the next waits.
    const slow = coalescing(600_000);
    slow.start();
    await waitUntil('the relay reads the log', () => slow.status().active && slow.status().reads > 0);
    await appendEvent(sql, 101n);
    await waitUntil('the first event is confirmed', () => slow.status().published === 1);
    const first = slow.status().position;
    await waitUntil('its position is written', async () => (await written()) === first);
    await appendEvent(sql, 102n);
    await waitUntil('the second event is confirmed', () => slow.status().published === 2);
    const second = slow.status().position;
    expect(second).not.toBe(first);
    expect(await written()).toBe(first);
    // Stopping writes what was confirmed: the next relay goes on after the second event, not from the first.
    await slow.stop();
    expect(await written()).toBe(second);
    const next = coalescing(10);
    next.start();
    await appendEvent(sql, 101n);
    await waitUntil('the next event is published', () => next.status().published > 0);
    expect(next.status().published).toBe(1);
  });

  it("carries a message's mentions, so the inbox reads none; an event relayed without them has them read", async () => {
    await Promise.all(relays.map((r) => r.stop()));
    await createChat(103n);
    await sql.query(
      `WITH bump AS (UPDATE chats SET last_seq = last_seq + 1 WHERE id = 103 RETURNING id, last_seq),
            m AS (INSERT INTO messages (id, chat_id, seq, author_id, text, client_message_id, chat_ordinal,
                                        author_ordinal, mention_ids)
                  SELECT 9001, id, last_seq, 1, 'hi @ann @bob', 'c1', 1, 1, '{7,8}' FROM bump RETURNING id, seq)
       INSERT INTO chat_events (chat_id, seq, type, actor_id, message_id) SELECT 103, seq, 'MESSAGE_ADDED', 1, id FROM m`,
    );
    const before = received.length;
    relay().start();
    // (After the events the test before left behind: the relay's cursor did not move while it was stopped.)
    const ofChat = () => received.slice(before).find((e) => e.chatId === '103');
    await waitUntil('the event is published', () => ofChat() !== undefined);
    const event = ofChat();
    expect(event).toMatchObject({
      chatId: '103',
      type: 'MESSAGE_ADDED',
      message: { id: '9001', mentionIds: ['7', '8'] },
    });

    // What the inbox does with it: the carried mentions, not the shard's (changed here to tell them apart); an event
    // from before the relay carried them reads the shard.
    await sql.query(`UPDATE messages SET mention_ids = '{9}' WHERE id = 9001`);
    const mentions = new StoredMentions(dbs.chats);
    expect([...(await mentions.mentionedMembers(event!))]).toEqual([7n, 8n]);
    const { mentionIds: _carried, ...older } = event!.message!;
    expect([...(await mentions.mentionedMembers({ ...event!, message: older }))]).toEqual([9n]);
  });
});
