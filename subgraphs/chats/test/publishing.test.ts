import Redis from 'ioredis';
import { RedisServer, TcpProxy, testConfig, waitUntil } from '@chatgraph/testing';
import { createGroup, newUser, ok, send, startChats, type ChatsHarness } from './harness';

/** A subscriber of its own on Redis, collecting JSON payloads per channel. */
class Listener {
  readonly client: Redis;
  private readonly received = new Map<string, unknown[]>();
  private readonly waiters: Array<() => void> = [];

  constructor(url: string) {
    this.client = new Redis(url, { maxRetriesPerRequest: null });
    this.client.on('message', (channel: string, message: string) => {
      const list = this.received.get(channel) ?? [];
      // `_meta` (commit time, trace context) is for the gateways, not part of the event: kept aside to check apart.
      const { _meta, ...payload } = JSON.parse(message);
      this.metas.push({ channel, meta: _meta });
      list.push(payload);
      this.received.set(channel, list);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** The `_meta` of every payload received, in order. */
  readonly metas: Array<{ channel: string; meta: unknown }> = [];

  async subscribe(...channels: string[]): Promise<void> {
    await this.client.subscribe(...channels);
  }

  /** Waits until `count` payloads arrived on `channel` and returns them. */
  async take(channel: string, count: number, timeoutMs = 5000): Promise<any[]> {
    const deadline = Date.now() + timeoutMs;
    while ((this.received.get(channel)?.length ?? 0) < count) {
      if (Date.now() > deadline)
        throw new Error(`only ${this.received.get(channel)?.length ?? 0} of ${count} payloads on ${channel}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
    return this.received.get(channel)!.slice(0, count);
  }

  count(channel: string): number {
    return this.received.get(channel)?.length ?? 0;
  }

  close(): void {
    this.client.disconnect();
  }
}

const EVENT_FIELDS = `__typename seq chatId type at title emoji user { __typename id } actor { __typename id }
  message { __typename id seq text clientMessageId createdAt editedAt deleted author { __typename id } chat { __typename id }
    replyToId threadRootId replyCount pinned mentions { __typename id } replyTo { __typename id } threadRoot { __typename id }
    reactions { __typename emoji count viewerReacted users { __typename id } } }
  member { __typename user { __typename id } role joinedAt lastReadSeq }`;

describe('published payloads', () => {
  let h: ChatsHarness;
  let listener: Listener;
  beforeAll(async () => {
    h = await startChats();
    listener = new Listener(h.config.REDIS_URL);
  });
  afterAll(async () => {
    listener.close();
    await h.close();
  });

  async function replay(viewer: string, chatId: string, afterSeq: number): Promise<any[]> {
    return ok(
      await h.as(viewer)<{ chatEventsSince: any[] }>(
        `query($c: ID!, $a: Int!) { chatEventsSince(chatId: $c, afterSeq: $a) { ${EVENT_FIELDS} } }`,
        {
          c: chatId,
          a: afterSeq,
        },
      ),
    ).chatEventsSince;
  }

  it('every change reaches chat:{chatId} in the exact shape chatEventsSince returns', async () => {
    const owner = newUser();
    const member = newUser();
    const chatId = await createGroup(h, owner, [member]);
    const topic = `chat:${chatId}`;
    await listener.subscribe(topic, `user-activity:${owner}`, `user-activity:${member}`);

    const before = Date.now();
    const sent = ok(await send(h, member, chatId, 'hi there', 'pub-1')).sendMessage;
    const [added] = await listener.take(topic, 1);
    expect(added).toEqual({
      __typename: 'ChatEvent',
      seq: 3,
      chatId,
      type: 'MESSAGE_ADDED',
      at: expect.any(String),
      title: null,
      emoji: null,
      user: null,
      actor: { __typename: 'User', id: member },
      message: {
        __typename: 'Message',
        id: sent.id,
        seq: 3,
        text: 'hi there',
        clientMessageId: 'pub-1',
        createdAt: added.at,
        editedAt: null,
        deleted: false,
        author: { __typename: 'User', id: member },
        chat: { __typename: 'Chat', id: chatId },
        replyToId: null,
        threadRootId: null,
        replyCount: 0,
        pinned: false,
        mentions: [],
        replyTo: null,
        threadRoot: null,
        reactions: [],
      },
      member: null,
    });
    expect(await replay(owner, chatId, 2)).toEqual([added]);

    ok(await h.as(member)(`mutation($m: ID!) { editMessage(messageId: $m, text: "edited") { id } }`, { m: sent.id }));
    const edited = (await listener.take(topic, 2))[1];
    expect(edited).toMatchObject({ seq: 4, type: 'MESSAGE_EDITED', message: { id: sent.id, text: 'edited', seq: 3 } });
    expect(edited.message.editedAt).toEqual(expect.any(String));
    expect(await replay(owner, chatId, 3)).toEqual([edited]);

    ok(await h.as(member)(`mutation($m: ID!) { deleteMessage(messageId: $m) { id } }`, { m: sent.id }));
    const deleted = (await listener.take(topic, 3))[2];
    expect(deleted).toMatchObject({
      seq: 5,
      type: 'MESSAGE_DELETED',
      message: { id: sent.id, text: null, deleted: true },
    });
    expect(await replay(owner, chatId, 4)).toEqual([deleted]);

    ok(await h.as(owner)(`mutation($c: ID!) { renameChat(chatId: $c, title: "Renamed") { id } }`, { c: chatId }));
    const renamed = (await listener.take(topic, 4))[3];
    expect(renamed).toMatchObject({ seq: 6, type: 'CHAT_UPDATED', title: 'Renamed', message: null, member: null });
    expect(await replay(owner, chatId, 5)).toEqual([renamed]);

    const third = newUser();
    ok(
      await h.as(owner)(`mutation($c: ID!, $u: ID!) { addMembers(chatId: $c, userIds: [$u]) { id } }`, {
        c: chatId,
        u: third,
      }),
    );
    const joined = (await listener.take(topic, 5))[4];
    expect(joined).toMatchObject({
      seq: 7,
      type: 'MEMBER_ADDED',
      actor: { __typename: 'User', id: owner },
      member: { __typename: 'ChatMember', user: { __typename: 'User', id: third }, role: 'MEMBER', lastReadSeq: 6 },
    });
    expect(await replay(owner, chatId, 6)).toEqual([joined]);

    ok(await h.as(member)(`mutation($c: ID!, $s: Int!) { markRead(chatId: $c, seq: $s) { id } }`, { c: chatId, s: 7 }));
    ok(
      await h.as(owner)(`mutation($c: ID!, $u: ID!) { removeMember(chatId: $c, userId: $u) { id } }`, {
        c: chatId,
        u: member,
      }),
    );
    const removed = (await listener.take(topic, 6))[5];
    expect(removed).toMatchObject({
      seq: 8,
      type: 'MEMBER_REMOVED',
      member: { __typename: 'ChatMember', user: { __typename: 'User', id: member }, role: 'MEMBER', lastReadSeq: 7 },
      _reauthorize: [member],
    });
    const { _reauthorize: _drop, ...withoutReauthorize } = removed;
    expect(await replay(owner, chatId, 7)).toEqual([withoutReauthorize]);

    // activity: the owner heard about every change; the removed member heard about their removal last
    const ownerActivity = await listener.take(`user-activity:${owner}`, 6);
    expect(ownerActivity.map((a) => [a.seq, a.type])).toEqual([
      [3, 'MESSAGE_ADDED'],
      [4, 'MESSAGE_EDITED'],
      [5, 'MESSAGE_DELETED'],
      [6, 'CHAT_UPDATED'],
      [7, 'MEMBER_ADDED'],
      [8, 'MEMBER_REMOVED'],
    ]);
    expect(ownerActivity[0]).toEqual({
      __typename: 'ChatActivity',
      chat: { __typename: 'Chat', id: chatId },
      seq: 3,
      type: 'MESSAGE_ADDED',
      at: added.at,
      actor: { __typename: 'User', id: member },
      message: added.message,
      memberUser: null,
    });
    const memberActivity = await listener.take(`user-activity:${member}`, 6);
    expect(memberActivity[5]).toMatchObject({
      seq: 8,
      type: 'MEMBER_REMOVED',
      memberUser: { __typename: 'User', id: member },
    });
    // Every event and activity carries its change's commit time (for the gateways' commit → delivery lag).
    const ours = listener.metas.filter((m) =>
      [topic, `user-activity:${owner}`, `user-activity:${member}`].includes(m.channel),
    );
    expect(ours).toHaveLength(6 + 6 + 6);
    for (const { meta } of ours) {
      expect(meta).toEqual({ committedAt: expect.any(Number) });
      expect((meta as { committedAt: number }).committedAt).toBeGreaterThanOrEqual(before);
      expect((meta as { committedAt: number }).committedAt).toBeLessThanOrEqual(Date.now());
    }
  });

  it('a new group tells each member it was added (one activity each)', async () => {
    const owner = newUser();
    const members = [newUser(), newUser()];
    await listener.subscribe(...members.map((m) => `user-activity:${m}`));
    const chatId = await createGroup(h, owner, members);
    for (const m of members) {
      const [activity] = await listener.take(`user-activity:${m}`, 1);
      expect(activity).toMatchObject({ chat: { id: chatId }, type: 'MEMBER_ADDED', memberUser: { id: m } });
    }
  });

  it('typing reaches typing:{chatId}; repeats within a second are dropped; bursts are RATE_LIMITED', async () => {
    const owner = newUser();
    const member = newUser();
    const chatId = await createGroup(h, owner, [member]);
    const topic = `typing:${chatId}`;
    await listener.subscribe(topic);
    const typing = (value: boolean) =>
      h.as(member)<{ setTyping: boolean }>(`mutation($c: ID!, $t: Boolean!) { setTyping(chatId: $c, typing: $t) }`, {
        c: chatId,
        t: value,
      });
    expect(ok(await typing(true)).setTyping).toBe(true);
    const [first] = await listener.take(topic, 1);
    expect(first).toEqual({
      __typename: 'TypingEvent',
      chatId,
      user: { __typename: 'User', id: member },
      typing: true,
      at: expect.any(String),
      // The gateway does not deliver it to the typist's own subscriptions.
      _exceptViewer: member,
    });
    expect(ok(await typing(true)).setTyping).toBe(true); // repeat: dropped silently
    expect(ok(await typing(false)).setTyping).toBe(true); // a change of state goes out
    const two = await listener.take(topic, 2);
    expect(two[1]).toMatchObject({ typing: false });
    const results = [];
    for (let i = 0; i < 10; i++) results.push(await typing(i % 2 === 0));
    const limited = results.filter((r) => r.errors?.[0]?.extensions?.code === 'RATE_LIMITED');
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]!.errors![0]!.extensions!.retryAfterMs).toBeGreaterThan(0);
    // nothing was written for typing
    const rows = await h.dbs.chats.clientFor(BigInt(chatId)).$queryRaw<Array<{ last_seq: number }>>`
      SELECT last_seq FROM chats WHERE id = ${BigInt(chatId)}`;
    expect(rows[0]!.last_seq).toBe(2);
  });
});

describe('a Redis outage', () => {
  let redis: RedisServer;
  let h: ChatsHarness;
  beforeAll(async () => {
    redis = await RedisServer.start();
    h = await startChats({ redisUrl: redis.url });
  });
  afterAll(async () => {
    await h.close();
    await redis.close();
  });

  it('loses nothing from history: sends succeed, the log has them all, publishing resumes after', async () => {
    const owner = newUser();
    const member = newUser();
    const chatId = await createGroup(h, owner, [member]);
    const listener = new Listener(redis.url);
    try {
      await listener.subscribe(`chat:${chatId}`);
      ok(await send(h, owner, chatId, 'before'));
      await listener.take(`chat:${chatId}`, 1);

      await redis.stop();
      const failedBefore = h.bus.stats.failed;
      const during = await Promise.all(
        Array.from({ length: 10 }, (_, i) => send(h, i % 2 ? owner : member, chatId, `during ${i}`)),
      );
      for (const r of during) ok(r);
      expect(h.bus.stats.failed).toBeGreaterThan(failedBefore);

      await redis.restart();
      const history = ok(
        await h.as(member)<{ chatEventsSince: Array<{ seq: number; type: string; message: { text: string } | null }> }>(
          `query($c: ID!) { chatEventsSince(chatId: $c, afterSeq: 2) { seq type message { text } } }`,
          { c: chatId },
        ),
      ).chatEventsSince;
      expect(history.map((e) => e.seq)).toEqual(Array.from({ length: 11 }, (_, i) => i + 3));
      expect(
        history
          .slice(1)
          .map((e) => e.message!.text)
          .sort(),
      ).toEqual(Array.from({ length: 10 }, (_, i) => `during ${i}`).sort());

      // the publisher reconnects by itself; the listener too (it re-subscribes)
      let delivered = false;
      for (let i = 0; i < 100 && !delivered; i++) {
        ok(await send(h, owner, chatId, `after ${i}`));
        await new Promise((r) => setTimeout(r, 100));
        delivered = listener.count(`chat:${chatId}`) > 1;
      }
      expect(delivered).toBe(true);
    } finally {
      listener.close();
    }
  });
});

describe('a publisher cut off from Redis while its subscribers are not', () => {
  let proxy: TcpProxy;
  let h: ChatsHarness;
  const redisUrl = testConfig().REDIS_URL;
  beforeAll(async () => {
    // The chats service reaches Redis through the proxy; the subscriber below connects directly.
    proxy = await TcpProxy.start(Number(new URL(redisUrl).port));
    h = await startChats({ redisUrl: `redis://127.0.0.1:${proxy.port}` });
  });
  afterAll(async () => {
    await h.close();
    await proxy.close();
  });

  it('announces the newest change made meanwhile once Redis takes it again, without waiting for another change', async () => {
    const owner = newUser();
    const member = newUser();
    const chatId = await createGroup(h, owner, [member]);
    const listener = new Listener(redisUrl);
    try {
      await listener.subscribe(`chat:${chatId}`, `user-activity:${member}`);
      const before = ok(await send(h, owner, chatId, 'before')).sendMessage.seq;
      await listener.take(`chat:${chatId}`, 1);

      proxy.cut();
      const failedBefore = h.bus.stats.failed;
      const during: number[] = [];
      for (let i = 0; i < 3; i++) during.push(ok(await send(h, owner, chatId, `during ${i}`)).sendMessage.seq);
      expect(h.bus.stats.failed).toBeGreaterThan(failedBefore);
      expect(h.stores.publisher.reannouncer.pending).toBeGreaterThan(0);
      expect(listener.count(`chat:${chatId}`)).toBe(1);

      // Nobody sends anything after this: the chat's newest event must still reach its subscribers (they repair
      // the ones before it from the log by seq).
      proxy.heal();
      const events = await listener.take(`chat:${chatId}`, 2, 20_000);
      expect(events.map((e) => [e.seq, e.message?.text])).toEqual([
        [before, 'before'],
        [during.at(-1), 'during 2'],
      ]);
      const activity = await listener.take(`user-activity:${member}`, 2, 20_000);
      expect(activity.map((a) => [a.chat.id, a.seq])).toEqual([
        [chatId, before],
        [chatId, during.at(-1)],
      ]);
      // (Redis answers the publisher after it delivered to the subscribers.)
      await waitUntil('nothing is pending', () => h.stores.publisher.reannouncer.pending === 0);
      expect(h.stores.publisher.reannouncer.stats.reannounced).toBeGreaterThanOrEqual(2);
    } finally {
      listener.close();
    }
  }, 60_000);
});
