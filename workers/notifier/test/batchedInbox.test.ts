/**
 * The inbox writes of a prefetch window, on real notifications shards: the events handled at the same time are added
 * in one batch, and a redelivered event adds nothing, whether its first delivery was in an earlier batch or in the
 * same one; every recipient's seqs stay 1..n without gaps. Two workers adding the same event at the same moment (a
 * redelivery racing the first delivery) end with one notification, both get it back, and no seq is spent.
 */
import { composeId } from '@chatgraph/ids';
import { NotificationInbox, type NewNotification } from '@chatgraph/notifications';
import { createTestDatabases, testConfig, waitUntil, type TestDatabases } from '@chatgraph/testing';
import { BatchedInbox } from '../src/inbox/BatchedInbox';

describe('BatchedInbox', () => {
  const config = testConfig({ NOTIFICATIONS_SHARDS: '2' });
  let dbs: TestDatabases;
  let inbox: NotificationInbox;

  beforeAll(async () => {
    dbs = await createTestDatabases(config);
    inbox = new NotificationInbox(dbs.notifications);
  }, 120_000);

  afterAll(() => dbs?.drop());

  // Ids spread over the logical shards, so the recipients are on both physical shards.
  const now = Date.now();
  const user = (n: number) => composeId({ timeMs: now, logicalShard: (n * 1361) % 4096, sequence: n });
  const chatId = user(900);
  const actorId = user(901);
  /** One DIRECT_MESSAGE per recipient for event `seq` of the chat. */
  const event = (seq: number, recipients: bigint[]): NewNotification[] =>
    recipients.map((recipientId) => ({
      recipientId,
      kind: 'DIRECT_MESSAGE',
      chatId,
      eventSeq: seq,
      messageId: null,
      actorId,
    }));

  /** Per recipient: (event seq, inbox seq) of every notification, in inbox order. */
  const stored = async (recipients: bigint[]) => {
    const out = new Map<bigint, Array<[number, number]>>();
    for (const { client } of dbs.notifications.all()) {
      const rows = await client.$queryRaw<Array<{ recipient_id: bigint; event_seq: number; seq: number }>>`
        SELECT recipient_id, event_seq, seq FROM notifications
         WHERE recipient_id = ANY(${recipients.map(String)}::bigint[]) ORDER BY recipient_id, seq`;
      for (const r of rows) out.set(r.recipient_id, [...(out.get(r.recipient_id) ?? []), [r.event_seq, r.seq]]);
    }
    return out;
  };

  it('adds the events handled together in one batch, and a redelivered event adds nothing', async () => {
    const [ann, ben, cat] = [user(1), user(2), user(3)];
    const writes = new BatchedInbox(inbox, 32);
    const statements = () => dbs.notifications.statementCounts().reduce((a, b) => a + b, 0);
    // A first delivery of event 1, alone (ann and ben are on different shards: one statement on each).
    let before = statements();
    const first = await writes.add(event(1, [ann, ben]));
    const oneEvent = statements() - before;
    expect(first.map((n) => n.seq)).toEqual([1, 1]);

    // A window: event 1 again (redelivered), event 2 twice (the relay published it twice), event 3.
    before = statements();
    const window = await Promise.all([
      writes.add(event(1, [ann, ben])),
      writes.add(event(2, [ann, ben, cat])),
      writes.add(event(2, [ann, ben, cat])),
      writes.add(event(3, [cat])),
    ]);
    // The window cost what one event on the same shards costs: one statement per shard.
    expect(statements() - before).toBe(oneEvent);
    // The redelivered event gets back what its first delivery added.
    expect(window[0]!.map((n) => n.id).sort()).toEqual(first.map((n) => n.id).sort());
    // Both copies of event 2 get its one notification per recipient.
    expect(window[1]!.map((n) => n.id)).toEqual(window[2]!.map((n) => n.id));
    expect(window[1]).toHaveLength(3);
    expect(window[3]!.map((n) => [n.recipientId, n.eventSeq])).toEqual([[cat, 3]]);

    // Exactly one notification per recipient and event; seqs without gaps, in event order within the batch.
    const inboxes = await stored([ann, ben, cat]);
    expect(inboxes.get(ann)).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(inboxes.get(ben)).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(inboxes.get(cat)).toEqual([
      [2, 1],
      [3, 2],
    ]);

    // The whole window again (a worker died before acknowledging it): nothing more.
    await Promise.all([writes.add(event(1, [ann, ben])), writes.add(event(2, [ann, ben, cat]))]);
    expect(await stored([ann, ben, cat])).toEqual(inboxes);
  });

  it('adds an event delivered to two workers at the same moment once, and gives both its notification', async () => {
    const dan = user(4);
    await inbox.add(event(1, [dan]));
    const client = dbs.notifications.clientFor(dan);
    const waitingForLocks = async () => {
      const [row] = await client.$queryRaw<Array<{ n: number }>>`
        SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock'`;
      return row!.n;
    };
    // Both deliveries start (their snapshots are taken, neither sees the other) while dan's inbox row is locked.
    let both: Awaited<ReturnType<NotificationInbox['add']>>[] = [];
    await client.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT 1 FROM notification_inboxes WHERE user_id = ${dan.toString()}::bigint FOR UPDATE`;
      const deliveries = Promise.all([inbox.add(event(2, [dan])), inbox.add(event(2, [dan]))]);
      await waitUntil('both deliveries wait for the inbox row', async () => (await waitingForLocks()) === 2);
      void deliveries.then((results) => (both = results));
    });
    await waitUntil('both deliveries are done', () => both.length === 2);
    const [a, b] = both;
    expect(a!.notifications.map((n) => n.id)).toEqual(b!.notifications.map((n) => n.id));
    expect(a!.added.size + b!.added.size).toBe(1);
    expect((await stored([dan])).get(dan)).toEqual([
      [1, 1],
      [2, 2],
    ]);
    // The next event takes the next seq: the losing delivery spent none.
    await inbox.add(event(3, [dan]));
    expect((await stored([dan])).get(dan)).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
  });
});
