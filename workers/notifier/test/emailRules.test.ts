import { alertAllowed, EmailLinks, withDefaults, type NotificationRecord } from '@chatgraph/notifications';
import { EmailTemplates, plain } from '../src/email/EmailTemplates';
import type { MessageNow } from '../src/email/ChatContent';
import { stillWorthEmailing, type RecheckInput } from '../src/email/missedMessageRules';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const settings = (over: Partial<RecheckInput['settings']> = {}) => ({
  preferences: withDefaults([]),
  doNotDisturbUntil: null,
  ...over,
});

describe('alertAllowed', () => {
  it('follows the per-kind preference of each channel; email only for the kinds that have emails', () => {
    const s = settings({ preferences: withDefaults([{ kind: 'MENTION', push: false, email: true }]) });
    expect(alertAllowed(s, 'MENTION', 'push', NOW)).toBe(false);
    expect(alertAllowed(s, 'MENTION', 'email', NOW)).toBe(true);
    expect(alertAllowed(s, 'DIRECT_MESSAGE', 'push', NOW)).toBe(true);
    expect(alertAllowed(s, 'REACTION', 'push', NOW)).toBe(true);
    expect(alertAllowed(s, 'REACTION', 'email', NOW)).toBe(false);
    const reactions = settings({ preferences: withDefaults([{ kind: 'REACTION', push: true, email: true }]) });
    expect(alertAllowed(reactions, 'REACTION', 'email', NOW)).toBe(false);
  });

  it('sends nothing while do-not-disturb lasts, and everything again once it is over', () => {
    const dnd = settings({ doNotDisturbUntil: new Date(NOW.getTime() + 60_000) });
    expect(alertAllowed(dnd, 'DIRECT_MESSAGE', 'push', NOW)).toBe(false);
    expect(alertAllowed(dnd, 'DIRECT_MESSAGE', 'email', NOW)).toBe(false);
    const over = settings({ doNotDisturbUntil: new Date(NOW.getTime() - 1) });
    expect(alertAllowed(over, 'DIRECT_MESSAGE', 'email', NOW)).toBe(true);
  });
});

describe('stillWorthEmailing', () => {
  const notification = (id: number, over: Partial<NotificationRecord> = {}): NotificationRecord => ({
    id: BigInt(id),
    recipientId: 7n,
    seq: id,
    kind: 'DIRECT_MESSAGE',
    chatId: 100n,
    eventSeq: id,
    messageId: BigInt(1000 + id),
    actorId: 2n,
    createdAt: NOW,
    readAt: null,
    pushedAt: null,
    ...over,
  });
  const message = (seq: number, over: Partial<MessageNow> = {}): MessageNow => ({
    text: 'hi',
    deleted: false,
    seq,
    createdAt: NOW,
    chatKind: 'DIRECT',
    chatTitle: null,
    lastReadSeq: 0,
    ...over,
  });
  const input = (notifications: NotificationRecord[], over: Partial<RecheckInput> = {}): RecheckInput => ({
    notifications,
    settings: settings(),
    now: NOW,
    messages: new Map(notifications.map((n) => [n.messageId!, message(n.eventSeq)])),
    blockedActors: new Set(),
    mutedChats: new Set(),
    ...over,
  });
  const ids = (list: NotificationRecord[]) => list.map((n) => Number(n.id));

  it('keeps unread notifications of messages that are still there', () => {
    expect(ids(stillWorthEmailing(input([notification(1), notification(2)])))).toEqual([1, 2]);
  });

  it('drops what was read in the inbox or in the chat, deleted messages, and chats the recipient left', () => {
    const all = [1, 2, 3, 4, 5].map((i) => notification(i));
    const messages = new Map<bigint, MessageNow>([
      [1001n, message(1)],
      [1002n, message(2, { lastReadSeq: 2 })], // read in the chat (markRead up to it)
      [1003n, message(3, { deleted: true })],
      [1004n, message(4, { lastReadSeq: null })], // no longer a member
      // 1005: gone
    ]);
    const read = all.map((n) => (n.id === 1n ? { ...n, readAt: NOW } : n));
    expect(ids(stillWorthEmailing(input(read, { messages })))).toEqual([]);
    expect(ids(stillWorthEmailing(input(all, { messages })))).toEqual([1]);
  });

  it('respects preferences, do-not-disturb, blocks, and mutes (mentions only from a muted chat)', () => {
    const dm = notification(1);
    const mention = notification(2, { kind: 'MENTION' });
    const off = settings({ preferences: withDefaults([{ kind: 'DIRECT_MESSAGE', push: true, email: false }]) });
    expect(ids(stillWorthEmailing(input([dm, mention], { settings: off })))).toEqual([2]);
    const dnd = settings({ doNotDisturbUntil: new Date(NOW.getTime() + 1000) });
    expect(ids(stillWorthEmailing(input([dm, mention], { settings: dnd })))).toEqual([]);
    expect(ids(stillWorthEmailing(input([dm, mention], { blockedActors: new Set([2n]) })))).toEqual([]);
    expect(ids(stillWorthEmailing(input([dm, mention], { mutedChats: new Set([100n]) })))).toEqual([2]);
  });
});

describe('EmailLinks', () => {
  const links = new EmailLinks('k'.repeat(40), 'https://chat.example.com');
  const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;

  it('reads back what it signed, until a verification link expires', () => {
    const verify = tokenOf(links.verifyUrl('42', 'ada@example.com', NOW.getTime() + 1000));
    expect(links.read(verify, NOW.getTime())).toEqual({
      purpose: 'verify',
      userId: '42',
      email: 'ada@example.com',
      expiresAt: NOW.getTime() + 1000,
    });
    expect(links.read(verify, NOW.getTime() + 1000)).toBeNull();
    const unsubscribe = links.unsubscribeUrl('42', ['MENTION']);
    expect(unsubscribe.startsWith('https://chat.example.com/email/unsubscribe?token=')).toBe(true);
    expect(links.read(tokenOf(unsubscribe))).toEqual({ purpose: 'unsubscribe', userId: '42', kinds: ['MENTION'] });
  });

  it('refuses a changed payload, another key, garbage and huge tokens', () => {
    const token = tokenOf(links.unsubscribeUrl('42', ['MENTION']));
    const [body, mac] = token.split('.') as [string, string];
    const other = Buffer.from(JSON.stringify({ purpose: 'unsubscribe', userId: '43', kinds: ['MENTION'] })).toString(
      'base64url',
    );
    expect(links.read(`${other}.${mac}`)).toBeNull();
    expect(new EmailLinks('j'.repeat(40), 'https://x').read(token)).toBeNull();
    expect(links.read(body)).toBeNull();
    expect(links.read('')).toBeNull();
    expect(links.read(`${'a'.repeat(5000)}.${mac}`)).toBeNull();
  });
});

describe('email templates', () => {
  const templates = new EmailTemplates();

  it('escapes every value in HTML and keeps the text body plain', () => {
    const email = templates.missedMessages({
      recipientName: 'Ada <i>',
      items: [{ heading: 'Bob "B" sent you a direct message', text: '<a href="x">hi</a>\r\nline two\u001b[31m' }],
      unsubscribe: [{ name: 'direct messages', url: 'https://x/email/unsubscribe?token=a.b' }],
    });
    expect(email.subject).toBe('You have an unread message on chatgraph');
    expect(email.html).toContain('Hi Ada &lt;i&gt;,');
    expect(email.html).toContain('&lt;a href&#x3D;&quot;x&quot;&gt;hi&lt;/a&gt;');
    expect(email.html).not.toContain('<a href="x">');
    expect(email.text).toContain('<a href="x">hi</a>\nline two[31m');
    expect(email.text).toContain('Stop emails about direct messages: https://x/email/unsubscribe?token=a.b');
  });

  it('makes plain text: newlines only, no control characters, long texts cut', () => {
    expect(plain('a\r\nb\rc\u2028d\u0000e\tf', 100)).toBe('a\nb\ncd' + 'e\tf');
    expect(plain('😀'.repeat(5), 3)).toBe('😀😀😀…');
  });
});
