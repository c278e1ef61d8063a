/**
 * Missed-message emails over real processes (every subgraph, a gateway, notifiers) and a real SMTP server of the
 * test's own: verification before anything else is sent, the delay and its re-check of read state, batching, one-click
 * unsubscribe, escaping, and a notifier killed (-9) between claiming an email and the SMTP server accepting it.
 */
import { gatewayRequest, waitUntil, type TestUser } from '@chatgraph/testing';
import { NotificationStack } from './support/NotificationStack';
import { SmtpSink, type ReceivedEmail } from './support/SmtpSink';

const DELAY_MS = 2500;

interface BatchRow {
  status: string;
  skip_reason: string | null;
  message_id: string;
  notification_ids: string[];
}

describe('email alerts', () => {
  let smtp: SmtpSink;
  let n: NotificationStack;

  beforeAll(async () => {
    smtp = await SmtpSink.start();
    n = await NotificationStack.start({
      env: {
        SMTP_URL: smtp.url,
        EMAIL_DELAY_MS: String(DELAY_MS),
        EMAIL_SCAN_MS: '100',
        EMAIL_CLAIM_LEASE_MS: '2000',
      },
    });
  }, 120_000);

  afterAll(async () => {
    await n?.close();
    await smtp?.close();
  });

  /** Polls until `find` returns something; returns it. */
  const eventually = async <T>(what: string, find: () => T | undefined | Promise<T | undefined>): Promise<T> => {
    let found: T | undefined;
    await waitUntil(what, async () => (found = await find()) !== undefined, 30_000);
    return found!;
  };

  /** The user's missed-message email batches, oldest first (from the notifications shards). */
  const batchesOf = async (user: TestUser): Promise<BatchRow[]> => {
    const rows: Array<BatchRow & { id: bigint }> = [];
    for (const { client } of n.dbs.notifications.all()) {
      rows.push(
        ...(await client.$queryRaw<Array<BatchRow & { id: bigint }>>`
          SELECT id, status, skip_reason, message_id, notification_ids::text[] AS notification_ids
            FROM email_batches WHERE recipient_id = ${BigInt(user.id)}`),
      );
    }
    return rows.sort((a, b) => (a.id < b.id ? -1 : 1));
  };

  /** Waits until the user has `count` batches, none of them CLAIMED; returns them. */
  const settledBatches = (user: TestUser, count: number) =>
    eventually(`${count} settled email batches`, async () => {
      const batches = await batchesOf(user);
      return batches.length === count && batches.every((b) => b.status !== 'CLAIMED') ? batches : undefined;
    });

  /** A header of the raw message (unfolded), as the SMTP server received it. */
  const rawHeader = (email: ReceivedEmail, name: string): string | undefined => {
    const head = email.raw.slice(0, email.raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
    const line = head.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
    return line?.slice(name.length + 1).trim();
  };

  const missedEmailsTo = (address: string): ReceivedEmail[] =>
    smtp.to(address).filter((m) => m.messageId.startsWith('<email-batch.'));

  const setEmail = (user: TestUser, email: string) =>
    gatewayRequest<{ updateProfile: { email: string | null; emailVerified: boolean | null } }>(
      n.gateway,
      user.token,
      'mutation($e: String!) { updateProfile(email: $e) { email emailVerified } }',
      { e: email },
    );

  /** A new user whose address is verified through the link emailed to it. */
  const verifiedUser = async (name: string): Promise<{ user: TestUser; address: string }> => {
    const user = await n.signUp(name);
    const address = `${user.username}@example.com`;
    expect((await setEmail(user, address)).data?.updateProfile).toEqual({ email: address, emailVerified: false });
    const mail = await eventually('the verification email', () => smtp.to(address)[0]);
    const link = /http:\/\/\S+\/email\/verify\?token=\S+/.exec(mail.text)![0];
    const res = await fetch(link, { method: 'POST' });
    expect(res.status).toBe(200);
    return { user, address };
  };

  /** Waits until `user` has `count` notifications; returns them. */
  const notified = (user: TestUser, count: number) =>
    eventually(`${count} notifications`, async () => {
      const all = await n.notificationsOf(user);
      return all.length >= count ? all : undefined;
    });

  it('sends nothing but the verification link to an address until it is verified', async () => {
    const bob = await n.signUp('Bob');
    const alice = await n.signUp('Alice');
    const address = `${alice.username}@example.com`;

    const bad = await setEmail(alice, 'not an address\r\nBcc: x@example.com');
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'email' });
    // Where alerts go is for the person: an API token (even with PROFILE_WRITE) cannot redirect them.
    const { createApiToken } = await n.call<{ createApiToken: { token: string } }>(
      alice,
      'mutation { createApiToken(name: "profile", scopes: [PROFILE_WRITE]) { token } }',
    );
    const viaToken = await gatewayRequest(
      n.gateway,
      createApiToken.token,
      'mutation { updateProfile(email: "t@example.com") { id } }',
    );
    expect(viaToken.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    expect((await setEmail(alice, ` ${address.replace('example.com', 'EXAMPLE.com')} `)).data?.updateProfile).toEqual({
      email: address,
      emailVerified: false,
    });
    const verification = await eventually('the verification email', () => smtp.to(address)[0]);
    expect(verification.subject).toBe('Verify your email address for chatgraph');
    // Nobody else sees the address.
    const seen = await n.call<{ user: { email: string | null } }>(bob, 'query($id: ID!) { user(id: $id) { email } }', {
      id: alice.id,
    });
    expect(seen.user.email).toBeNull();

    // A direct message while unverified: its batch is skipped, no email.
    const chat = await n.createDirect(bob, alice);
    await n.send(bob, chat, 'are you there?');
    const [skipped] = await settledBatches(alice, 1);
    expect(skipped).toMatchObject({ status: 'SKIPPED', skip_reason: 'no verified address' });

    const link = /http:\/\/\S+\/email\/verify\?token=\S+/.exec(verification.text)![0];
    const forged = await fetch(link.replace(/token=./, 'token=x'), { method: 'POST' });
    expect(forged.status).toBe(400);
    // Opening the link shows a button (mail providers' link scanners open links too); its POST verifies.
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post" action="/email/verify?token=');
    expect((await n.call<{ me: { emailVerified: boolean } }>(alice, '{ me { emailVerified } }')).me.emailVerified).toBe(
      false,
    );
    expect((await fetch(link, { method: 'POST' })).status).toBe(200);
    const me = await n.call<{ me: { email: string; emailVerified: boolean } }>(alice, '{ me { email emailVerified } }');
    expect(me.me).toEqual({ email: address, emailVerified: true });
    expect(smtp.to(address)).toHaveLength(1);
  });

  it('emails a mention left unread for the delay exactly once, with its content and an unsubscribe link', async () => {
    const bob = await n.signUp('Bob Builder');
    const { user: carol, address } = await verifiedUser('Carol');
    const chat = await n.createGroup(bob, [carol]);
    await n.call(bob, 'mutation($c: ID!) { renameChat(chatId: $c, title: "Roadmap") { id } }', { c: chat });
    await n.send(bob, chat, `@${carol.username} can you review the plan?`);

    const [batch] = await settledBatches(carol, 1);
    expect(batch!.status).toBe('SENT');
    const emails = missedEmailsTo(address);
    expect(emails).toHaveLength(1);
    const email = emails[0]!;
    expect(email.messageId).toBe(batch!.message_id);
    expect(email.subject).toBe('You have an unread message on chatgraph');
    expect(email.text).toContain('Bob Builder mentioned you in Roadmap');
    expect(email.text).toContain(`@${carol.username} can you review the plan?`);
    expect(email.html).toContain('can you review the plan?');
    // One-click unsubscribe (RFC 8058) from the headers: email off for mentions only.
    const header = rawHeader(email, 'List-Unsubscribe');
    expect(rawHeader(email, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    const unsubscribe = /^<(http:\/\/[^>]+\/email\/unsubscribe\?token=[^>]+)>/.exec(header ?? '')![1]!;
    const page = await fetch(unsubscribe);
    expect(page.status).toBe(200);
    const before = await n.call<{ notificationPreferences: Array<{ kind: string; email: boolean }> }>(
      carol,
      '{ notificationPreferences { kind push email } }',
    );
    expect(before.notificationPreferences.find((p) => p.kind === 'MENTION')?.email).toBe(true);
    const res = await fetch(unsubscribe, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(res.status).toBe(200);
    const after = await n.call<{ notificationPreferences: Array<{ kind: string; push: boolean; email: boolean }> }>(
      carol,
      '{ notificationPreferences { kind push email } }',
    );
    expect(after.notificationPreferences).toEqual([
      { kind: 'DIRECT_MESSAGE', push: true, email: true },
      { kind: 'MENTION', push: true, email: false },
      { kind: 'REPLY', push: true, email: false },
      { kind: 'REACTION', push: true, email: false },
      { kind: 'ADDED_TO_CHAT', push: true, email: false },
    ]);

    await n.send(bob, chat, `@${carol.username} one more thing`);
    const batches = await settledBatches(carol, 2);
    expect(batches[1]).toMatchObject({ status: 'SKIPPED' });
    expect(missedEmailsTo(address)).toHaveLength(1);
  });

  it('sends nothing for messages read before the delay (in the inbox or in the chat)', async () => {
    const bob = await n.signUp('Bob');
    const { user: dave, address } = await verifiedUser('Dave');
    const chat = await n.createDirect(bob, dave);

    await n.send(bob, chat, 'first');
    const first = await notified(dave, 2); // ADDED_TO_CHAT, then the message
    await n.call(dave, 'mutation($ids: [ID!]) { markNotificationsRead(ids: $ids) }', {
      ids: first.filter((x) => x.kind === 'DIRECT_MESSAGE').map((x) => x.id),
    });
    expect((await settledBatches(dave, 1))[0]!.status).toBe('SKIPPED');

    await n.send(bob, chat, 'second');
    await notified(dave, 3);
    // Opening the chat: read up to its last message.
    const { chat: seen } = await n.call<{ chat: { lastSeq: number } }>(
      dave,
      'query($c: ID!) { chat(id: $c) { lastSeq } }',
      { c: chat },
    );
    await n.call(dave, 'mutation($c: ID!, $s: Int!) { markRead(chatId: $c, seq: $s) { id } }', {
      c: chat,
      s: seen.lastSeq,
    });
    const batches = await settledBatches(dave, 2);
    expect(batches.map((b) => b.status)).toEqual(['SKIPPED', 'SKIPPED']);
    expect(missedEmailsTo(address)).toHaveLength(0);
  });

  it('batches three direct messages sent within the window into one email', async () => {
    const bob = await n.signUp('Bob');
    const { user: erin, address } = await verifiedUser('Erin');
    const chat = await n.createDirect(bob, erin);
    for (const text of ['one', 'two', 'three']) await n.send(bob, chat, `message ${text}`);

    const batches = await settledBatches(erin, 1);
    expect(batches[0]!.notification_ids).toHaveLength(3);
    const emails = missedEmailsTo(address);
    expect(emails).toHaveLength(1);
    expect(emails[0]!.subject).toBe('You have 3 unread messages on chatgraph');
    const positions = ['message one', 'message two', 'message three'].map((t) => emails[0]!.text.indexOf(t));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('escapes HTML and line breaks from a message: no markup, no injected header, no other recipient', async () => {
    const mallory = await n.signUp('Mallory <b>');
    const { user: frank, address } = await verifiedUser('Frank');
    const chat = await n.createDirect(mallory, frank);
    const text =
      '<script>alert(1)</script>\r\nBcc: victim@example.com\r\nSubject: injected\r\n\r\n<img src=x onerror=alert(2)> & done';
    await n.send(mallory, chat, text);

    const email = await eventually('the missed-message email', () => missedEmailsTo(address)[0]);
    expect(email.envelopeTo).toEqual([address]);
    expect(smtp.received.some((m) => m.envelopeTo.includes('victim@example.com'))).toBe(false);
    expect(email.headers.has('bcc')).toBe(false);
    expect(email.subject).toBe('You have an unread message on chatgraph');
    expect(email.html).not.toContain('<script>');
    expect(email.html).not.toContain('<img');
    expect(email.html).not.toContain('<b>');
    expect(email.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(email.html).toContain('&lt;img src&#x3D;x onerror&#x3D;alert(2)&gt; &amp; done');
    expect(email.html).toContain('Mallory &lt;b&gt;');
    // The text body is plain text: the message as written, line breaks as line breaks, no stray carriage returns.
    expect(email.text).toContain('<script>alert(1)</script>\nBcc: victim@example.com\nSubject: injected');
    expect(email.text).not.toMatch(/\r(?!\n)/);
  });

  it('sends an email claimed by a notifier killed (-9) before the SMTP server answered: once, with the same Message-ID', async () => {
    const bob = await n.signUp('Bob');
    const { user: gina, address } = await verifiedUser('Gina');
    const chat = await n.createDirect(bob, gina);

    smtp.holdNext();
    await n.send(bob, chat, 'do not lose me');
    const held = await eventually('the email reached the SMTP server', () => missedEmailsTo(address)[0]);
    const [claimed] = await batchesOf(gina);
    expect(claimed).toMatchObject({ status: 'CLAIMED', message_id: held.messageId });

    await n.stack.kill('notifier-1');
    await n.startNotifier('notifier-2');
    const [batch] = await settledBatches(gina, 1);
    expect(batch).toMatchObject({ status: 'SENT', message_id: held.messageId });

    const copies = missedEmailsTo(address);
    expect(copies.length).toBeGreaterThanOrEqual(2); // at least once: the held copy, then the one accepted
    expect(new Set(copies.map((m) => m.messageId))).toEqual(new Set([held.messageId]));
    expect(copies.every((m) => m.text.includes('do not lose me'))).toBe(true);
  });

  it('without SMTP_URL, logs each email clearly marked as not sent (and sends none)', async () => {
    for (const name of n.notifiers) await n.stack.stop(name);
    const links = new URL(n.stack.url('notifications')).origin;
    // An empty value is unset, as with `npm start` on a machine without a mail server.
    await n.stack.start('notifier-logs', 'notifier', undefined, {
      EMAIL_LINK_BASE_URL: links,
      SMTP_URL: '',
      LOG_LEVEL: 'info',
    });
    const received = smtp.received.length;
    const hank = await n.signUp('Hank');
    const address = `${hank.username}@example.com`;
    await setEmail(hank, address);
    const logged = () =>
      n.stack.processes
        .get('notifier-logs')!
        .output.join('')
        .split('\n')
        .filter((line) => line.includes('email NOT sent') && line.includes(address));
    await waitUntil('the verification email was logged', () => logged().length > 0, 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${n.stack.processes.get('notifier-logs')!.output.join('').slice(-3000)}`);
    });
    expect(logged()[0]).toContain('/email/verify?token=');
    expect(smtp.received.length).toBe(received);
  });
});
