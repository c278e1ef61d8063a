/**
 * A delivering worker killed with -9 loses no delivery: two notifiers share the delivery queue while a receiver
 * answers slowly (so deliveries are in flight), the one holding deliveries is killed, a new one starts, and every
 * event ends accepted by the receiver (at least once, so counted by webhook-id) and DELIVERED in the log.
 */
import { waitUntil, type TestUser } from '@chatgraph/testing';
import { NotificationStack } from '../notifications/support/NotificationStack';
import { WebhookReceiver } from './support/WebhookReceiver';

const MESSAGES = 150;

describe('webhook deliveries under a worker crash', () => {
  let n: NotificationStack;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    n = await NotificationStack.start({ notifiers: 2, env: { WEBHOOK_PREFETCH: '8' } });
    receiver = new WebhookReceiver();
    receiver.delayMs = 50;
    await receiver.start();
  }, 120_000);

  afterAll(async () => {
    await receiver?.stop();
    await n?.close();
  });

  it('loses no delivery when the worker holding deliveries is killed (-9)', async () => {
    const [alice, bob] = (await Promise.all(['Alice', 'Bob'].map((x) => n.signUp(x)))) as [TestUser, TestUser];
    const group = await n.createGroup(alice, [bob]);
    const created = await n.call<{ createWebhook: { secret: string; webhook: { id: string } } }>(
      alice,
      'mutation($u: String!, $c: [ID!]!) { createWebhook(url: $u, events: [MESSAGE_CREATED], chatIds: $c) { secret webhook { id } } }',
      { u: receiver.url, c: [group] },
    );
    receiver.secret = created.createWebhook.secret;

    const sending = (async () => {
      for (let i = 0; i < MESSAGES; i++) await n.send(bob, group, `m${i}`);
    })();
    const holding = async () => {
      for (const name of n.notifiers) {
        const consumers = (await n.status(name)).consumers;
        const deliveries = Object.entries(consumers).find(([queue]) => queue.endsWith('.notify.deliveries'));
        if (deliveries && deliveries[1].inFlight > 0) return name;
      }
      return undefined;
    };
    let victim: string | undefined;
    await waitUntil('a notifier holds deliveries', async () => (victim = await holding()) !== undefined);
    await n.stack.kill(victim!);
    await n.startNotifier('notifier-3');
    await sending;

    await waitUntil(
      'every message is accepted',
      () => new Set(receiver.accepted.map((r) => r.body!.data.message.text)).size === MESSAGES,
      120_000,
    );
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    const texts = receiver.accepted.map((r) => r.body!.data.message.text as string);
    expect(new Set(texts)).toEqual(new Set(Array.from({ length: MESSAGES }, (_, i) => `m${i}`)));
    // One delivery (one webhook-id) per event, whatever was sent twice.
    expect(receiver.accepted).toHaveLength(MESSAGES);
    await waitUntil('every delivery is logged as delivered', async () => {
      const rows = await Promise.all(
        n.dbs.notifications.all().map(
          ({ client }) =>
            client.$queryRaw<Array<{ status: string; n: number }>>`
            SELECT status, count(*)::int AS n FROM webhook_deliveries GROUP BY status`,
        ),
      );
      const byStatus = Object.fromEntries(rows.flat().map((r) => [r.status, r.n]));
      return byStatus.DELIVERED === MESSAGES && Object.keys(byStatus).length === 1;
    });
  }, 300_000);
});
