import { CARRY_WITHIN_MS, carriedMessage } from '../src/inbox/InboxHandler';
import { notificationsFor } from '../src/inbox/notificationRules';
import { parseRelayedEvent, type RelayedEvent } from '../src/relay/RelayedEvent';
import { PermanentFailure } from '../src/amqp/PermanentFailure';

const event = (over: Partial<RelayedEvent>): RelayedEvent => ({
  v: 1,
  chatId: '100',
  seq: 5,
  type: 'MESSAGE_ADDED',
  actorId: '1',
  at: '2026-01-01T00:00:00.000Z',
  chat: { kind: 'GROUP', directUserIds: [] },
  message: { id: '900', authorId: '1', text: 'hi', replyToAuthorId: null },
  memberUserId: null,
  ...over,
});
const none = { mentioned: new Set<bigint>() };
const show = (list: ReturnType<typeof notificationsFor>) => list.map((c) => `${c.recipientId}:${c.kind}`);

describe('who an event notifies', () => {
  it('a direct message notifies the other member, not the sender', () => {
    expect(show(notificationsFor(event({ chat: { kind: 'DIRECT', directUserIds: ['1', '2'] } }), none))).toEqual([
      '2:DIRECT_MESSAGE',
    ]);
  });

  it('a mention notifies the members named, never the sender, and wins over a direct message', () => {
    const direct = event({ chat: { kind: 'DIRECT', directUserIds: ['1', '2'] } });
    expect(show(notificationsFor(direct, { mentioned: new Set([2n, 1n]) }))).toEqual(['2:MENTION']);
    expect(show(notificationsFor(event({}), { mentioned: new Set([3n, 2n]) }))).toEqual(['2:MENTION', '3:MENTION']);
  });

  it('a reply notifies the author of the message replied to, unless they are mentioned or replying to themselves', () => {
    const reply = event({ message: { id: '901', authorId: '1', text: 'yes', replyToAuthorId: '4' } });
    expect(show(notificationsFor(reply, none))).toEqual(['4:REPLY']);
    expect(show(notificationsFor(reply, { mentioned: new Set([4n]) }))).toEqual(['4:MENTION']);
    const own = event({ message: { id: '902', authorId: '1', text: 'and', replyToAuthorId: '1' } });
    expect(notificationsFor(own, none)).toEqual([]);
  });

  it('a reaction notifies the author of the message, not someone reacting to their own', () => {
    const reaction = event({ type: 'REACTION_ADDED', message: { id: '900', authorId: '5', text: 'x' } });
    expect(show(notificationsFor(reaction, none))).toEqual(['5:REACTION']);
    expect(notificationsFor(event({ type: 'REACTION_ADDED', actorId: '5', message: reaction.message }), none)).toEqual(
      [],
    );
  });

  it('being added notifies the member added by someone else; other events notify nobody', () => {
    expect(show(notificationsFor(event({ type: 'MEMBER_ADDED', message: null, memberUserId: '7' }), none))).toEqual([
      '7:ADDED_TO_CHAT',
    ]);
    expect(notificationsFor(event({ type: 'MEMBER_ADDED', message: null, memberUserId: '1' }), none)).toEqual([]);
    for (const type of ['MESSAGE_EDITED', 'MESSAGE_DELETED', 'MEMBER_REMOVED', 'CHAT_UPDATED'])
      expect(notificationsFor(event({ type }), { mentioned: new Set([2n]) })).toEqual([]);
  });
});

describe('relayed events on the wire', () => {
  it('reads what the relay publishes and refuses anything else as a permanent failure', () => {
    const e = event({});
    expect(parseRelayedEvent(Buffer.from(JSON.stringify(e)))).toEqual(e);
    for (const bad of ['nope', '{}', JSON.stringify({ ...e, v: 2 }), JSON.stringify({ ...e, chatId: 'x' })]) {
      expect(() => parseRelayedEvent(Buffer.from(bad))).toThrow(PermanentFailure);
    }
  });
});

describe('the message a live notification carries', () => {
  const written = { createdAt: '2026-01-01T00:00:00.000Z', editedAt: null, deleted: false };
  /** A second after the event. */
  const soon = Date.parse('2026-01-01T00:00:01.000Z');

  it('is the message as the chats service answers its plain fields', () => {
    expect(carriedMessage(event({ message: { id: '900', authorId: '1', text: 'hi', ...written } }), soon)).toEqual({
      __typename: 'Message',
      id: '900',
      text: 'hi',
      createdAt: '2026-01-01T00:00:00.000Z',
      editedAt: null,
      deleted: false,
    });
  });

  it('has no text once deleted', () => {
    const deleted = event({ message: { id: '900', authorId: '1', text: 'hi', ...written, deleted: true } });
    expect(carriedMessage(deleted, soon)).toMatchObject({ text: null, deleted: true });
  });

  it('is none for an event relayed before the relay read the message times, or without a message', () => {
    expect(carriedMessage(event({}), soon)).toBeUndefined();
    expect(carriedMessage(event({ message: null }), soon)).toBeUndefined();
  });

  it('is none for an event handled long after it happened (a retry, a replay), whose text may have changed', () => {
    const old = event({ message: { id: '900', authorId: '1', text: 'hi', ...written } });
    expect(carriedMessage(old, Date.parse(old.at) + CARRY_WITHIN_MS)).toBeDefined();
    expect(carriedMessage(old, Date.parse(old.at) + CARRY_WITHIN_MS + 1)).toBeUndefined();
  });

  it('is read back from the relayed JSON, and a wrong type there is refused', () => {
    const relayed = event({ message: { id: '900', authorId: '1', text: 'hi', ...written } });
    expect(parseRelayedEvent(Buffer.from(JSON.stringify(relayed)))).toEqual(relayed);
    const bad = { ...relayed, message: { ...relayed.message, deleted: 'no' } };
    expect(() => parseRelayedEvent(Buffer.from(JSON.stringify(bad)))).toThrow(PermanentFailure);
  });
});
