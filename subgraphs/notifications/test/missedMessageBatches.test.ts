// The missed-message email log on real Postgres shards: a notification joins at most one batch, a batch is claimed
// again only after its lease, and old finished batches are deleted.
import { createTestDatabases, testConfig, type TestDatabases } from '@chatgraph/testing';
import { MissedMessageBatches } from '../src/email/MissedMessageBatches';
import { NotificationInbox } from '../src/storage/NotificationInbox';

describe('MissedMessageBatches', () => {
  let dbs: TestDatabases;
  let batches: MissedMessageBatches;
  let inbox: NotificationInbox;
  let eventSeq = 0;

  beforeAll(async () => {
    dbs = await createTestDatabases(testConfig({ NOTIFICATIONS_SHARDS: '2' }));
    batches = new MissedMessageBatches(dbs.notifications, 'test.invalid');
    inbox = new NotificationInbox(dbs.notifications);
  }, 60_000);

  afterAll(() => dbs?.drop());

  /** Adds notifications of these kinds for a recipient, made `ageMs` ago. */
  const notify = async (recipientId: bigint, kinds: Array<'DIRECT_MESSAGE' | 'MENTION' | 'REACTION'>, ageMs = 0) => {
    const { notifications } = await inbox.add(
      kinds.map((kind) => ({ recipientId, kind, chatId: 7n, eventSeq: ++eventSeq, messageId: 100n, actorId: 1n })),
    );
    await dbs.notifications.clientFor(recipientId).$executeRaw`
      UPDATE notifications SET created_at = created_at - ${ageMs}::int * interval '1 millisecond'
       WHERE recipient_id = ${recipientId}`;
    return notifications;
  };
  const shardOf = (userId: bigint) => dbs.notifications.shardFor(userId).index;

  it('takes every pending notification of a recipient into one batch once the oldest waited the delay, once', async () => {
    const recipient = 1_000_001n;
    await notify(recipient, ['DIRECT_MESSAGE', 'MENTION', 'REACTION'], 10_000);
    expect(await batches.claim(recipient, 60_000, 5_000)).toBeNull(); // not due yet
    expect(await batches.dueRecipients(shardOf(recipient), 5_000, 10)).toContain(recipient);

    const batch = (await batches.claim(recipient, 5_000, 5_000))!;
    expect(batch.notificationIds).toHaveLength(2); // REACTION has no email
    expect(batch.messageId).toBe(`<email-batch.${batch.id}@test.invalid>`);
    expect(await batches.claim(recipient, 5_000, 5_000)).toBeNull();
    expect(await batches.dueRecipients(shardOf(recipient), 5_000, 10)).not.toContain(recipient);
    expect((await batches.notificationsOf(batch)).map((n) => n.kind)).toEqual(['DIRECT_MESSAGE', 'MENTION']);
  });

  it('claims a batch again only after its lease, with the same Message-ID, until it is finished', async () => {
    const recipient = 1_000_002n;
    await notify(recipient, ['DIRECT_MESSAGE'], 10_000);
    const batch = (await batches.claim(recipient, 5_000, 60_000))!;
    const shard = shardOf(recipient);
    expect((await batches.reclaimExpired(shard, 10, 60_000)).map((b) => b.id)).not.toContain(batch.id);
    await dbs.notifications.clientFor(recipient).$executeRaw`
      UPDATE email_batches SET claimed_until = clock_timestamp() - interval '1 second' WHERE id = ${batch.id}`;
    const [again] = (await batches.reclaimExpired(shard, 10, 60_000)).filter((b) => b.id === batch.id);
    expect(again).toEqual({ ...batch, attempts: 2 });
    await batches.finish(again!, { status: 'SENT' });
    await dbs.notifications.clientFor(recipient).$executeRaw`
      UPDATE email_batches SET claimed_until = clock_timestamp() - interval '1 second' WHERE id = ${batch.id}`;
    expect((await batches.reclaimExpired(shard, 10, 60_000)).map((b) => b.id)).not.toContain(batch.id);
  });

  it('deletes finished batches older than the retention, and nothing else', async () => {
    const recipient = 1_000_003n;
    const client = dbs.notifications.clientFor(recipient);
    const ids: bigint[] = [];
    for (let i = 0; i < 3; i++) {
      await notify(recipient, ['MENTION'], 10_000);
      ids.push((await batches.claim(recipient, 5_000, 60_000))!.id);
    }
    const [oldSent, oldClaimed, young] = ids as [bigint, bigint, bigint];
    await client.$executeRaw`UPDATE email_batches SET status = 'SENT' WHERE id IN (${oldSent}, ${young})`;
    await client.$executeRaw`
      UPDATE email_batches SET created_at = created_at - interval '31 days' WHERE id IN (${oldSent}, ${oldClaimed})`;
    expect(await batches.prune(shardOf(recipient), 30, 100)).toBe(1);
    const left = await client.$queryRaw<Array<{ id: bigint }>>`
      SELECT id FROM email_batches WHERE recipient_id = ${recipient} ORDER BY id`;
    expect(left.map((r) => r.id)).toEqual([oldClaimed, young]);
  });
});
