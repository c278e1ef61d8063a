/**
 * Web Push to a push service of the test's own (HTTPS, self-signed): a recipient who is not ONLINE gets each
 * notification as a push encrypted for their browser's keys (aes128gcm, RFC 8291) and signed with the server's VAPID
 * key (RFC 8292); an ONLINE one gets none; a subscription the push service reports gone (410) is removed.
 */
import { createECDH } from 'node:crypto';
import { gatewayRequest, waitUntil, type TestUser } from '@chatgraph/testing';
import { NotificationStack } from './support/NotificationStack';
import { BrowserKeys, PushEndpoint, verifyVapid } from './support/PushEndpoint';

const REGISTER = `mutation($e: String!, $p: String!, $a: String!) {
  registerPushSubscription(endpoint: $e, p256dh: $p, auth: $a)
}`;

describe('Web Push', () => {
  let endpoint: PushEndpoint;
  let n: NotificationStack;
  let alice: TestUser;
  const vapid = createECDH('prime256v1');
  vapid.generateKeys();
  const vapidPublic = vapid.getPublicKey().toString('base64url');

  beforeAll(async () => {
    endpoint = await PushEndpoint.start();
    n = await NotificationStack.start({
      env: {
        VAPID_PUBLIC_KEY: vapidPublic,
        // getPrivateKey() drops leading zero bytes (one key in 256): pad to the 32 bytes a P-256 key has.
        VAPID_PRIVATE_KEY: Buffer.concat([Buffer.alloc(32), vapid.getPrivateKey()])
          .subarray(-32)
          .toString('base64url'),
        VAPID_SUBJECT: 'mailto:push-test@chatgraph.invalid',
        NODE_EXTRA_CA_CERTS: endpoint.certificatePath,
        // A push service may refuse a connection now and then: retries far enough apart to get past that.
        NOTIFIER_RETRY_DELAYS_MS: '200,1000,3000',
      },
    });
    alice = await n.signUp('Alice');
  }, 120_000);

  afterAll(async () => {
    await n?.close();
    await endpoint?.close();
  });

  const register = (user: TestUser, path: string, keys: BrowserKeys) =>
    n.call(user, REGISTER, { e: endpoint.url(path), p: keys.p256dh, a: keys.auth.toString('base64url') });

  /** Waits for `check`; when it does not hold in time, fails with what the notifier logged and its push DLQ. */
  const expectSoon = async (what: string, check: () => boolean | Promise<boolean>) => {
    try {
      await waitUntil(what, check, 30_000);
    } catch (err) {
      const logs = n.stack.processes.get('notifier-1')?.output.join('').slice(-6000);
      throw new Error(`${(err as Error).message}\npush DLQ: ${n.dlq('list', 'push').stdout}\nnotifier log:\n${logs}`);
    }
  };

  /** Whether Web Push was dealt with for a notification (sent or not needed). */
  const pushedAt = async (id: string) => {
    const rows = await n.dbs.notifications.clientFor(BigInt(id)).$queryRaw<Array<{ pushed_at: Date | null }>>`
      SELECT pushed_at FROM notifications WHERE id = ${BigInt(id)}`;
    return rows[0]?.pushed_at ?? null;
  };

  it('pushes to a recipient who is not online, encrypted for their browser and signed with the VAPID key', async () => {
    const bob = await n.signUp('Bob');
    const keys = new BrowserKeys();
    await register(bob, '/push/bob', keys);
    const chat = await n.createDirect(alice, bob);
    await n.send(alice, chat, 'hello bob');

    const payloads = () =>
      endpoint.received
        .filter((r) => r.path === '/push/bob')
        .map((r) => ({
          request: r,
          payload: JSON.parse(keys.decrypt(r.body)) as { notification: Record<string, unknown> },
        }));
    await expectSoon('two pushes arrived (added to the chat, the message)', () => payloads().length >= 2);
    const inbox = await n.notificationsOf(bob);
    expect(
      payloads()
        .map((p) => p.payload.notification.id)
        .sort(),
    ).toEqual(inbox.map((x) => x.id).sort());
    const dm = payloads().find((p) => p.payload.notification.kind === 'DIRECT_MESSAGE')!;
    const notification = inbox.find((x) => x.kind === 'DIRECT_MESSAGE')!;
    expect(dm.payload.notification).toEqual({
      id: notification.id,
      seq: notification.seq,
      kind: 'DIRECT_MESSAGE',
      chatId: chat,
      messageId: notification.message!.id,
      actorId: alice.id,
    });
    const { headers } = dm.request;
    expect(headers['content-encoding']).toBe('aes128gcm');
    expect(Number(headers.ttl)).toBeGreaterThan(0);
    expect(headers.topic).toBe(`n${notification.id}`);
    const claims = verifyVapid(String(headers.authorization), vapidPublic);
    expect(claims.aud).toBe(`https://127.0.0.1:${endpoint.port}`);
    expect(claims.sub).toBe('mailto:push-test@chatgraph.invalid');
    expect(claims.exp * 1000).toBeGreaterThan(Date.now());
  });

  it('does not push to a recipient who is ONLINE', async () => {
    const carol = await n.signUp('Carol');
    await register(carol, '/push/carol', new BrowserKeys());
    await n.call(carol, 'mutation { heartbeat(status: ONLINE) { status } }');
    const chat = await n.createDirect(alice, carol);
    await n.send(alice, chat, 'you are here');
    await waitUntil('carol has both notifications', async () => (await n.notificationsOf(carol)).length === 2);
    const ids = (await n.notificationsOf(carol)).map((x) => x.id);
    await waitUntil('their push was dealt with', async () => (await Promise.all(ids.map(pushedAt))).every(Boolean));
    expect(endpoint.received.filter((r) => r.path === '/push/carol')).toEqual([]);
  });

  it('pushes only the kinds the recipient wants pushed, and nothing during do-not-disturb', async () => {
    const erin = await n.signUp('Erin');
    await register(erin, '/push/erin', new BrowserKeys());
    await n.call(
      erin,
      'mutation { updateNotificationPreferences(kind: DIRECT_MESSAGE, push: false, email: true) { kind } }',
    );
    const chat = await n.createDirect(alice, erin);
    await n.send(alice, chat, 'not pushed');
    await waitUntil('erin has both notifications', async () => (await n.notificationsOf(erin)).length === 2);
    const first = await n.notificationsOf(erin);
    await expectSoon('their push was dealt with', async () =>
      (await Promise.all(first.map((x) => pushedAt(x.id)))).every(Boolean),
    );
    // ADDED_TO_CHAT is still pushed; the direct message is not.
    expect(endpoint.received.filter((r) => r.path === '/push/erin')).toHaveLength(1);

    const until = new Date(Date.now() + 3600_000).toISOString();
    const dnd = await n.call<{ setDoNotDisturb: string }>(
      erin,
      'mutation($u: DateTime) { setDoNotDisturb(until: $u) }',
      {
        u: until,
      },
    );
    expect(dnd.setDoNotDisturb).toBe(until);
    expect((await n.call<{ doNotDisturbUntil: string }>(erin, '{ doNotDisturbUntil }')).doNotDisturbUntil).toBe(until);
    const group = await n.createGroup(alice, [erin]);
    await waitUntil('erin is notified of the group', async () => (await n.notificationsOf(erin)).length === 3);
    const added = (await n.notificationsOf(erin))[2]!;
    await expectSoon('its push was dealt with', async () => Boolean(await pushedAt(added.id)));
    expect(added.chat?.id).toBe(group);
    expect(endpoint.received.filter((r) => r.path === '/push/erin')).toHaveLength(1);
    const far = new Date(Date.now() + 400 * 24 * 3600_000).toISOString();
    const tooLong = await gatewayRequest(
      n.gateway,
      erin.token,
      'mutation($u: DateTime) { setDoNotDisturb(until: $u) }',
      {
        u: far,
      },
    );
    expect(tooLong.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'until' });
    await n.call(erin, 'mutation { setDoNotDisturb(until: null) }');
    expect((await n.call<{ doNotDisturbUntil: null }>(erin, '{ doNotDisturbUntil }')).doNotDisturbUntil).toBeNull();
  });

  it('removes a subscription the push service reports gone (410), and keeps pushing to the others', async () => {
    const dave = await n.signUp('Dave');
    const keys = new BrowserKeys();
    endpoint.statuses.set('/push/dave-old', 410);
    await register(dave, '/push/dave-old', new BrowserKeys());
    await register(dave, '/push/dave-new', keys);
    const chat = await n.createDirect(alice, dave);
    await n.send(alice, chat, 'anyone there?');
    await waitUntil(
      'the new subscription got both pushes',
      () => endpoint.received.filter((r) => r.path === '/push/dave-new').length >= 2,
    );
    expect(endpoint.received.some((r) => r.path === '/push/dave-old')).toBe(true);
    await waitUntil('the gone subscription was removed', async () => {
      const rows = await n.dbs.notifications.clientFor(BigInt(dave.id)).$queryRaw<Array<{ endpoint: string }>>`
        SELECT endpoint FROM push_subscriptions WHERE user_id = ${BigInt(dave.id)}`;
      return rows.map((r) => r.endpoint).join() === endpoint.url('/push/dave-new');
    });
    // Unregistering: true for the one still there, false once it is gone.
    const unregister = 'mutation($e: String!) { unregisterPushSubscription(endpoint: $e) }';
    expect((await n.call(dave, unregister, { e: endpoint.url('/push/dave-old') })).unregisterPushSubscription).toBe(
      false,
    );
    expect((await n.call(dave, unregister, { e: endpoint.url('/push/dave-new') })).unregisterPushSubscription).toBe(
      true,
    );
  });

  it('refuses what is not a push subscription, naming the argument', async () => {
    const keys = new BrowserKeys();
    const good = { e: endpoint.url('/push/x'), p: keys.p256dh, a: keys.auth.toString('base64url') };
    const cases: Array<[Record<string, string>, string]> = [
      [{ ...good, e: 'http://127.0.0.1/push' }, 'endpoint'],
      [{ ...good, e: 'not a url' }, 'endpoint'],
      [{ ...good, p: keys.auth.toString('base64url') }, 'p256dh'],
      [{ ...good, p: '***' }, 'p256dh'],
      [{ ...good, a: keys.p256dh }, 'auth'],
    ];
    for (const [variables, field] of cases) {
      const res = await gatewayRequest(n.gateway, alice.token, REGISTER, variables);
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
  });
});
