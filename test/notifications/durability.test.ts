/**
 * The pipeline loses nothing and doubles nothing while its parts die: a notifier killed (-9) while it holds messages,
 * the notifier relaying the shards killed (-9), and the broker (a RabbitMQ node of the test's own) killed and
 * restarted, all while a few thousand messages are sent. Every recipient ends with exactly one notification per event
 * (seqs 1..n, no gaps), and a live `notificationAdded` subscriber receives each of them exactly once.
 */
import {
  liveClient,
  RabbitMqServer,
  rabbitMqInstalled,
  subgraphRequester,
  subscribe,
  waitUntil,
} from '@chatgraph/testing';
import type { TestUser } from '@chatgraph/testing';
import { NotificationStack } from './support/NotificationStack';

const itWithBroker = rabbitMqInstalled() ? it : it.skip;
if (!rabbitMqInstalled()) console.warn('rabbitmq-server is not installed: the durability test is SKIPPED');

const PER_CHAT = 500;

describe('notification pipeline under failures', () => {
  let rabbit: RabbitMqServer;
  let n: NotificationStack;

  beforeAll(async () => {
    if (!rabbitMqInstalled()) return;
    rabbit = await RabbitMqServer.start();
    n = await NotificationStack.start({
      amqpUrl: rabbit.url,
      notifiers: 2,
      env: { NOTIFIER_PREFETCH: '16', RELAY_BATCH_SIZE: '50', NOTIFIER_RETRY_DELAYS_MS: '100,200' },
    });
  }, 180_000);

  afterAll(async () => {
    await n?.close();
    await rabbit?.close();
  });

  /** Per recipient: notifications, distinct events, highest seq (from the notifications shards). */
  const inboxes = async () => {
    const out = new Map<string, { count: number; events: number; maxSeq: number }>();
    for (const { client } of n.dbs.notifications.all()) {
      const rows = await client.$queryRaw<Array<{ r: string; count: number; events: number; max_seq: number }>>`
        SELECT recipient_id::text AS r, count(*)::int AS count,
               count(DISTINCT (chat_id, event_seq))::int AS events, max(seq)::int AS max_seq
          FROM notifications GROUP BY recipient_id`;
      for (const row of rows) out.set(row.r, { count: row.count, events: row.events, maxSeq: row.max_seq });
    }
    return out;
  };

  /** Waits until a notifier holds messages in hand, then kills it. */
  const killMidBatch = async (name: string) => {
    await waitUntil(`${name} holds messages`, async () => {
      const status = await n.status(name);
      return Object.values(status.consumers).some((c) => c.inFlight > 0);
    });
    await n.stack.kill(name);
  };

  itWithBroker(
    'loses and doubles nothing over kill -9 of a worker mid-batch, of the relay, and a broker restart',
    async () => {
      const alice = await n.signUp('Alice');
      const others: TestUser[] = await Promise.all(['Bob', 'Carol', 'Dave', 'Erin'].map((x) => n.signUp(x)));
      const bob = others[0]!;

      // Bob listens from before anything happens to him (without afterId a subscription starts with the next one).
      const client = liveClient(n.stack.wsUrl('gateway'), bob.token);
      const live = subscribe<{ notificationAdded: { seq: number } }>(
        client,
        'subscription { notificationAdded { seq } }',
      );
      await waitUntil('bob is subscribed', async () => (await n.liveSubscriptions()) === 1);
      const chatIds = await Promise.all(others.map((o) => n.createDirect(alice, o)));
      await waitUntil('bob is notified of the chat alice started', () => live.results.length > 0);

      const chatsAsAlice = subgraphRequester(n.config, n.stack.url('chats'));
      let sent = 0;
      const sendAll = async (chatId: string, lane: number) => {
        for (let i = 0; i < PER_CHAT; i++) {
          const res = await chatsAsAlice(
            'mutation($c: ID!, $t: String!, $m: String!) { sendMessage(chatId: $c, text: $t, clientMessageId: $m) { id } }',
            { c: chatId, t: `message ${i}`, m: `d-${lane}-${i}` },
            alice.id,
          );
          if (res.errors) throw new Error(JSON.stringify(res.errors));
          sent++;
        }
      };
      const sending = Promise.all(chatIds.map((id, lane) => sendAll(id, lane)));

      // 1. A worker dies with messages in hand: they are redelivered to the others.
      // Progress bounds, not speed checks: a quarter of the sends can take over a minute when the suite shares the
      // machine with another heavy test file.
      await waitUntil('a quarter is sent', () => sent >= PER_CHAT, 90_000);
      await killMidBatch('notifier-2');
      await n.startNotifier('notifier-3');
      // 2. The relay dies: another process takes its shards over (advisory locks) and resumes from the cursor.
      await waitUntil('half is sent', () => sent >= PER_CHAT * 2, 90_000);
      const relaying = await Promise.all(n.notifiers.map(async (name) => ({ name, status: await n.status(name) })));
      const relay = relaying.find((r) => r.status.relays.some((x) => x.active))!;
      await n.stack.kill(relay.name);
      await n.startNotifier('notifier-4');
      // 3. The broker dies and comes back: persistent messages in durable queues survive, unconfirmed ones are sent again.
      await waitUntil('three quarters are sent', () => sent >= PER_CHAT * 3, 90_000);
      await rabbit.restart();
      await sending;

      const expected = PER_CHAT + 1; // the chat alice started (ADDED_TO_CHAT), then every message
      await waitUntil(
        'every recipient has every notification',
        async () => {
          const now = await inboxes();
          return others.every((o) => now.get(o.id)?.count === expected);
        },
        180_000,
      );
      await waitUntil('the pipeline is idle', async () => {
        const statuses = await Promise.all(n.notifiers.map((x) => n.status(x)));
        return (
          statuses.every((s) => Object.values(s.consumers).every((c) => c.inFlight === 0)) &&
          (await n.queueDepth('notify.inbox')) === 0
        );
      });
      const final = await inboxes();
      for (const o of others) expect(final.get(o.id)).toEqual({ count: expected, events: expected, maxSeq: expected });
      expect(final.has(alice.id)).toBe(false);
      expect(await n.queueDepth('notify.inbox.dlq')).toBe(0);

      await live.waitFor((r) => r.length >= expected, 60_000);
      const seqs = live.results.map((r) => r.data!.notificationAdded.seq);
      expect(seqs).toEqual(Array.from({ length: expected }, (_, i) => i + 1));
      await client.dispose();
    },
    400_000,
  );
});
