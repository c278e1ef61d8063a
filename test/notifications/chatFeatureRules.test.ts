/**
 * Notifications from the chat features, end to end through the notifier: replies notify the author replied to,
 * reactions the author reacted to, mentions come from what the chats service resolved at send time; a recipient who
 * blocked the actor hears nothing from them, and a muted chat notifies of mentions only.
 */
import type { TestUser } from '@chatgraph/testing';
import { NotificationStack, type SeenNotification } from './support/NotificationStack';

describe('notifications of chat features', () => {
  let n: NotificationStack;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;

  beforeAll(async () => {
    n = await NotificationStack.start();
    [alice, bob, carol] = await Promise.all(['Alice', 'Bob', 'Carol'].map((name) => n.signUp(name)));
  }, 120_000);

  afterAll(() => n?.close());

  const kinds = (list: SeenNotification[]) => list.map((x) => `${x.kind}:${x.actor.id}`);

  it('replies, reactions and mentions notify; blocks and mutes filter', async () => {
    const group = await n.createGroup(alice, [bob, carol]);
    // Blocks and mutes apply to events handled after them: the additions first.
    await n.waitForIdle(await n.eventCount([{ id: group, member: alice }]));
    await n.call(carol, 'mutation($u: ID!) { blockUser(userId: $u) }', { u: alice.id });
    await n.call(bob, 'mutation($c: ID!) { muteChat(chatId: $c) { id } }', { c: group });

    const bobs = await n.send(bob, group, 'a question from bob');
    const carols = await n.send(carol, group, 'a question from carol');
    // A reply to each (bob muted the chat: no REPLY; carol blocked alice: nothing from her).
    await n.call(
      alice,
      'mutation($c: ID!, $r: ID!) { sendMessage(chatId: $c, text: "answer", clientMessageId: "ans-1", replyToId: $r) { id } }',
      { c: group, r: bobs },
    );
    await n.call(
      alice,
      'mutation($c: ID!, $r: ID!) { sendMessage(chatId: $c, text: "answer", clientMessageId: "ans-2", replyToId: $r) { id } }',
      { c: group, r: carols },
    );
    // A reply by carol to bob's message: bob muted, so nothing; a reaction by bob to carol's: REACTION.
    await n.call(bob, 'mutation($m: ID!) { addReaction(messageId: $m, emoji: "👍") { id } }', { m: carols });
    // Mentions pass a mute; not a block.
    await n.send(alice, group, `@${bob.username} and @${carol.username}, look`);

    await n.waitForIdle(await n.eventCount([{ id: group, member: alice }]));
    expect(kinds(await n.notificationsOf(bob))).toEqual([`ADDED_TO_CHAT:${alice.id}`, `MENTION:${alice.id}`]);
    expect(kinds(await n.notificationsOf(carol))).toEqual([`ADDED_TO_CHAT:${alice.id}`, `REACTION:${bob.id}`]);

    // Unmuted and unblocked: replies notify again.
    await n.call(bob, 'mutation($c: ID!) { unmuteChat(chatId: $c) { id } }', { c: group });
    await n.call(
      carol,
      'mutation($c: ID!, $r: ID!) { sendMessage(chatId: $c, text: "me too", clientMessageId: "ans-3", replyToId: $r) { id } }',
      { c: group, r: bobs },
    );
    await n.waitForIdle(await n.eventCount([{ id: group, member: alice }]));
    expect(kinds(await n.notificationsOf(bob))).toEqual([
      `ADDED_TO_CHAT:${alice.id}`,
      `MENTION:${alice.id}`,
      `REPLY:${carol.id}`,
    ]);
  }, 90_000);
});
