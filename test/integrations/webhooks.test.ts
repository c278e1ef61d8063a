/**
 * Signed outgoing webhooks over real processes (gateway, subgraphs, a notifier, RabbitMQ): a receiver on 127.0.0.1
 * verifies every delivery with `standardwebhooks`, gets each event of its chats once, sees a retry keep its
 * `webhook-id`, disables the webhook with 410; deliveries that fail for the whole (shortened) schedule end DEAD and
 * `redeliverWebhookDelivery` delivers them later; a webhook stops receiving a chat its owner left.
 */
import { gatewayRequest, waitUntil, type TestUser } from '@chatgraph/testing';
import { NotificationStack } from '../notifications/support/NotificationStack';
import { outcome } from './support/integrationCalls';
import { WebhookReceiver } from './support/WebhookReceiver';

const ALL = [
  'MESSAGE_CREATED',
  'MESSAGE_EDITED',
  'MESSAGE_DELETED',
  'MEMBER_ADDED',
  'MEMBER_REMOVED',
  'REACTION_ADDED',
];

interface Delivery {
  id: string;
  eventType: string;
  status: string;
  attempts: number;
  lastResponseStatus: number | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
}

describe('webhooks', () => {
  let n: NotificationStack;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    n = await NotificationStack.start({ env: { WEBHOOK_RETRY_SCHEDULE_MS: '300,600' } });
    [alice, bob, carol] = await Promise.all(['Alice', 'Bob', 'Carol'].map((name) => n.signUp(name)));
  }, 120_000);

  afterAll(async () => {
    for (const r of receivers) await r.stop();
    await n?.close();
  });

  const receiver = async () => {
    const r = new WebhookReceiver();
    await r.start();
    receivers.push(r);
    return r;
  };

  /** Creates a webhook of `owner` delivering to `r` (which learns its secret); returns its id. */
  const webhook = async (owner: TestUser, r: WebhookReceiver, chatIds: string[], events = ALL) => {
    const data = await n.call<{ createWebhook: { secret: string; webhook: { id: string; url: string } } }>(
      owner,
      'mutation($u: String!, $e: [WebhookEventType!]!, $c: [ID!]!) { createWebhook(url: $u, events: $e, chatIds: $c) { secret webhook { id url } } }',
      { u: r.url, e: events, c: chatIds },
    );
    expect(data.createWebhook.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    r.secret = data.createWebhook.secret;
    return data.createWebhook.webhook.id;
  };

  const webhookOf = async (owner: TestUser, id: string, status?: string) => {
    const data = await n.call<{
      myWebhooks: Array<{ id: string; disabled: boolean; deliveries: { nodes: Delivery[] } }>;
    }>(
      owner,
      `query($s: DeliveryStatus) { myWebhooks { id disabled deliveries(first: 10, status: $s) {
         nodes { id eventType status attempts lastResponseStatus nextAttemptAt deliveredAt } } } }`,
      { s: status ?? null },
    );
    return data.myWebhooks.find((w) => w.id === id)!;
  };

  it('delivers each event of its chats once, signed', async () => {
    const group = await n.createGroup(alice, [bob]);
    const elsewhere = await n.createDirect(alice, bob);
    const r = await receiver();
    const id = await webhook(alice, r, [group]);

    await n.send(alice, elsewhere, 'not covered');
    const first = await n.send(alice, group, 'first');
    const second = await n.send(bob, group, 'second');
    await n.call(alice, 'mutation($m: ID!) { editMessage(messageId: $m, text: "first, edited") { id } }', { m: first });
    await n.call(bob, 'mutation($m: ID!) { deleteMessage(messageId: $m) { id } }', { m: second });
    await n.call(alice, 'mutation($c: ID!, $u: ID!) { addMembers(chatId: $c, userIds: [$u]) { id } }', {
      c: group,
      u: carol.id,
    });
    await n.call(alice, 'mutation($c: ID!, $u: ID!) { removeMember(chatId: $c, userId: $u) { id } }', {
      c: group,
      u: carol.id,
    });

    await waitUntil('six deliveries are accepted', () => r.accepted.length >= 6);
    let logged: Delivery[] = [];
    try {
      await waitUntil('every delivery is logged as delivered', async () => {
        logged = (await webhookOf(alice, id)).deliveries.nodes;
        return logged.length === 6 && logged.every((d) => d.status === 'DELIVERED');
      });
    } catch (err) {
      // What the log said last, and what the receiver got: tells a slow worker from a delivery retried or lost.
      const got = r.received.map((x) => `${x.body?.type}:${x.body?.data.seq}`);
      throw new Error(`${(err as Error).message}: ${JSON.stringify(logged)}; received ${JSON.stringify(got)}`);
    }
    expect(r.received.every((x) => x.verified)).toBe(true);
    expect(r.received).toHaveLength(6);
    const bodies = r.received.map((x) => x.body!).sort((x, y) => x.data.seq - y.data.seq);
    expect(bodies.map((b) => b.type)).toEqual([
      'message.created',
      'message.created',
      'message.edited',
      'message.deleted',
      'member.added',
      'member.removed',
    ]);
    expect(bodies.every((b) => b.data.chatId === group)).toBe(true);
    expect(bodies[0]!.data).toMatchObject({ actorId: alice.id, message: { id: first, authorId: alice.id } });
    expect(bodies[2]!.data.message).toEqual({ id: first, authorId: alice.id, text: 'first, edited' });
    expect(bodies[3]!.data.message).toEqual({ id: second, authorId: bob.id });
    expect(bodies[4]!.data).toMatchObject({ actorId: alice.id, userId: carol.id });
    const ids = r.received.map((x) => x.id);
    expect(new Set(ids).size).toBe(6);
    expect(ids.every((x) => /^msg_\d+$/.test(x))).toBe(true);
  });

  it('retries a delivery that was answered 500 with the same webhook-id', async () => {
    const group = await n.createGroup(alice, [bob]);
    const r = await receiver();
    r.answer = (_id, seen) => (seen === 0 ? 500 : 200);
    const id = await webhook(alice, r, [group], ['MESSAGE_CREATED']);
    await n.send(bob, group, 'try again');
    await waitUntil('the retry is accepted', () => r.accepted.length === 1);
    expect(r.received.map((x) => [x.id, x.answered, x.verified])).toEqual([
      [r.accepted[0]!.id, 500, true],
      [r.accepted[0]!.id, 200, true],
    ]);
    await waitUntil('the delivery is logged as delivered', async () => {
      const [d] = (await webhookOf(alice, id)).deliveries.nodes;
      return d?.status === 'DELIVERED';
    });
    const [delivery] = (await webhookOf(alice, id)).deliveries.nodes;
    expect(delivery).toMatchObject({ eventType: 'MESSAGE_CREATED', attempts: 2, lastResponseStatus: 200 });
    expect(r.accepted[0]!.id).toBe(`msg_${delivery!.id}`);
  });

  it('disables a webhook whose endpoint answers 410 Gone', async () => {
    const group = await n.createGroup(alice, [bob]);
    const gone = await receiver();
    gone.answer = () => 410;
    const id = await webhook(alice, gone, [group], ['MESSAGE_CREATED']);
    await n.send(bob, group, 'anyone there?');
    await waitUntil('the webhook is disabled', async () => (await webhookOf(alice, id)).disabled);
    expect((await webhookOf(alice, id)).deliveries.nodes).toMatchObject([{ status: 'DEAD', lastResponseStatus: 410 }]);

    // A second webhook on the chat shows when the next event was handed out: the disabled one got no delivery.
    const control = await receiver();
    await webhook(alice, control, [group], ['MESSAGE_CREATED']);
    await n.send(bob, group, 'after the 410');
    await waitUntil('the other webhook got the event', () => control.accepted.length === 1);
    expect((await webhookOf(alice, id)).deliveries.nodes).toHaveLength(1);
    expect(gone.received).toHaveLength(1);
  });

  it('ends deliveries DEAD after the whole schedule, and redelivers them on request', async () => {
    const group = await n.createGroup(alice, [bob]);
    const r = await receiver();
    await r.stop();
    const id = await webhook(alice, r, [group], ['MESSAGE_CREATED']);
    await n.send(bob, group, 'while you were down');
    await waitUntil(
      'the delivery is dead',
      async () => (await webhookOf(alice, id, 'DEAD')).deliveries.nodes.length === 1,
    );
    const [dead] = (await webhookOf(alice, id, 'DEAD')).deliveries.nodes;
    expect(dead).toMatchObject({ attempts: 3, lastResponseStatus: null, nextAttemptAt: null, deliveredAt: null });
    expect((await webhookOf(alice, id, 'DELIVERED')).deliveries.nodes).toEqual([]);

    await r.start();
    const redelivered = await n.call<{ redeliverWebhookDelivery: Delivery }>(
      alice,
      'mutation($d: ID!) { redeliverWebhookDelivery(id: $d) { id status } }',
      { d: dead!.id },
    );
    expect(redelivered.redeliverWebhookDelivery).toEqual({ id: dead!.id, status: 'PENDING' });
    await waitUntil('the redelivery is accepted', () => r.accepted.length === 1);
    expect(r.accepted[0]!.id).toBe(`msg_${dead!.id}`);
    expect(r.accepted[0]!.body!.type).toBe('message.created');
    await waitUntil('the delivery is logged as delivered', async () => {
      const [d] = (await webhookOf(alice, id)).deliveries.nodes;
      return d?.status === 'DELIVERED';
    });
    // Only the owner may redeliver.
    const res = await gatewayRequest(
      n.gateway,
      bob.token,
      'mutation($d: ID!) { redeliverWebhookDelivery(id: $d) { id } }',
      {
        d: dead!.id,
      },
    );
    expect(outcome(res).code).toBe('NOT_FOUND');
  });

  it("stops delivering a chat's events once the webhook's owner left the chat", async () => {
    const group = await n.createGroup(bob, [alice]);
    const alices = await receiver();
    const bobs = await receiver();
    await webhook(alice, alices, [group], ['MESSAGE_CREATED']);
    await webhook(bob, bobs, [group], ['MESSAGE_CREATED']);
    await n.send(bob, group, 'before');
    await waitUntil('both receive the first message', () => alices.accepted.length === 1 && bobs.accepted.length === 1);
    await n.call(alice, 'mutation($c: ID!) { leaveChat(chatId: $c) }', { c: group });
    await n.send(bob, group, 'after');
    await waitUntil('the owner who stayed receives the second message', () => bobs.accepted.length === 2);
    expect(alices.received.map((x) => x.body?.data.message.text)).toEqual(['before']);
  });

  it('covers only chats the owner is in, and checks what it is given', async () => {
    const group = await n.createGroup(bob, [carol]);
    const r = await receiver();
    const create = (user: TestUser | null, url: string, events: string[], chatIds: string[]) =>
      gatewayRequest(
        n.gateway,
        user?.token ?? null,
        'mutation($u: String!, $e: [WebhookEventType!]!, $c: [ID!]!) { createWebhook(url: $u, events: $e, chatIds: $c) { secret } }',
        { u: url, e: events, c: chatIds },
      );
    expect(outcome(await create(alice, r.url, ALL, [group]))).toMatchObject({ code: 'FORBIDDEN', field: 'chatIds' });
    expect(outcome(await create(bob, 'ftp://127.0.0.1/x', ALL, [group]))).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'url',
    });
    expect(outcome(await create(bob, r.url, [], [group]))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'events' });
    expect(outcome(await create(bob, r.url, ALL, []))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'chatIds' });
    expect(outcome(await create(null, r.url, ALL, [group])).code).toBe('UNAUTHENTICATED');
    const id = await webhook(bob, r, [group]);
    expect((await n.call(alice, 'mutation($id: ID!) { deleteWebhook(id: $id) }', { id })).deleteWebhook).toBe(false);
    expect((await n.call(bob, 'mutation($id: ID!) { deleteWebhook(id: $id) }', { id })).deleteWebhook).toBe(true);
    const left = await n.call<{ myWebhooks: Array<{ id: string }> }>(bob, '{ myWebhooks { id } }');
    expect(left.myWebhooks.map((w) => w.id)).not.toContain(id);
  });

  it("counts every attempt of the tests above by outcome in the notifier's metrics", async () => {
    // The tests above delivered, retried, met a 410 and gave up after the whole schedule.
    const text = await (await fetch(n.stack.adminUrl(n.notifiers[0]!, '/metrics'))).text();
    const count = (outcome: string) =>
      Number(
        text.match(
          new RegExp(`^webhook_deliveries_total\\{outcome="${outcome}",service="notifier"\\} (\\d+)$`, 'm'),
        )?.[1] ?? 0,
      );
    expect({
      delivered: count('delivered') > 0,
      retry: count('retry') > 0,
      gone: count('gone'),
      dead: count('dead') > 0,
    }).toEqual({
      delivered: true,
      retry: true,
      gone: 1,
      dead: true,
    });
  });

  it('receives only the events committed after it was created', async () => {
    // With no notifier running, the chat's first events are still on their way when the webhook is created.
    for (const name of n.notifiers) expect(await n.stack.stop(name)).toBe(0);
    const group = await n.createGroup(alice, [bob]);
    await n.send(alice, group, 'before');
    const r = await receiver();
    await webhook(alice, r, [group]);
    await n.send(alice, group, 'after');
    await n.startNotifier('notifier-2');
    await waitUntil('the message sent after is delivered', () => r.accepted.length >= 1);
    await waitUntil('the webhook queues are idle', async () => {
      const busy = Object.values((await n.status('notifier-2')).consumers).some((c) => c.inFlight > 0);
      const waiting = (await n.queueDepth('notify.webhooks')) + (await n.queueDepth('notify.deliveries'));
      return !busy && waiting === 0;
    });
    expect(r.received.map((x) => `${x.body?.type}: ${x.body?.data.message?.text}`)).toEqual(['message.created: after']);
  });
});
