/**
 * Notifier roles (`NOTIFIER_ROLES`): the pipeline split over two workers, one relaying the shards and writing
 * inboxes, the other only delivering webhooks. Each does its part and nothing else; with the webhook worker stopped,
 * notifications still arrive while the webhook deliveries wait in RabbitMQ, and a new webhook worker delivers them.
 */
import { waitUntil, type TestUser } from '@chatgraph/testing';
import { WebhookReceiver } from '../integrations/support/WebhookReceiver';
import { NotificationStack } from './support/NotificationStack';

describe('notifier roles', () => {
  let n: NotificationStack;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    n = await NotificationStack.start({ notifiers: 0 });
    await n.startNotifier('pipeline', { NOTIFIER_ROLES: 'relay,inbox,push,email' });
    await n.startNotifier('hooks', { NOTIFIER_ROLES: 'webhooks' });
    receiver = new WebhookReceiver();
    await receiver.start();
  }, 120_000);

  afterAll(async () => {
    await receiver?.stop();
    await n?.close();
  });

  const consumedQueues = async (name: string) =>
    Object.keys((await n.status(name)).consumers)
      .map((q) => q.slice(n.prefix.length + 1))
      .sort();

  it('runs only the roles it is given', async () => {
    const pipeline = await n.status('pipeline');
    expect(pipeline.roles).toEqual(['relay', 'inbox', 'push', 'email']);
    // One relay per chats shard (the stack has two); no VAPID keys, so no push consumer.
    expect(pipeline.relays).toHaveLength(2);
    expect(await consumedQueues('pipeline')).toEqual(['notify.inbox']);
    const hooks = await n.status('hooks');
    expect(hooks.roles).toEqual(['webhooks']);
    expect(hooks.relays).toEqual([]);
    expect(await consumedQueues('hooks')).toEqual(['notify.deliveries', 'notify.webhooks']);
  });

  it('keeps notifying while no webhook worker runs; the deliveries wait and go out once one starts', async () => {
    const [alice, bob] = (await Promise.all(['Alice', 'Bob'].map((x) => n.signUp(x)))) as [TestUser, TestUser];
    // A direct chat: each message notifies Bob.
    const chat = await n.createDirect(alice, bob);
    const created = await n.call<{ createWebhook: { secret: string } }>(
      alice,
      'mutation($u: String!, $c: [ID!]!) { createWebhook(url: $u, events: [MESSAGE_CREATED], chatIds: $c) { secret } }',
      { u: receiver.url, c: [chat] },
    );
    receiver.secret = created.createWebhook.secret;
    const texts = () => receiver.accepted.map((r) => r.body!.data.message.text as string);
    const bobsMessages = async () =>
      (await n.notificationsOf(bob)).filter((x) => x.message !== null).map((x) => x.message!.text);

    await n.send(alice, chat, 'one');
    await waitUntil('the first message is delivered to the webhook', () => texts().includes('one'));
    await waitUntil('bob is notified of the first message', async () => (await bobsMessages()).includes('one'));

    expect(await n.stack.stop('hooks')).toBe(0);
    await n.send(alice, chat, 'two');
    await waitUntil('bob is notified of the second message', async () => (await bobsMessages()).includes('two'));
    await waitUntil('its event waits on the webhooks queue', async () => (await n.queueDepth('notify.webhooks')) === 1);
    expect(texts()).toEqual(['one']);

    await n.startNotifier('hooks-2', { NOTIFIER_ROLES: 'webhooks' });
    await waitUntil('the second message is delivered to the webhook', () => texts().includes('two'));
    expect(texts()).toEqual(['one', 'two']);
    expect(receiver.received.every((r) => r.verified)).toBe(true);
  }, 120_000);
});
