import { ChannelRecorder } from './support/ChannelRecorder';
import { CAN_WATCH, GO_OFFLINE, HEARTBEAT, PRESENCE_OF, users, type PresenceOfData } from './support/operations';
import { randomUserId } from './support/randomUserId';
import { startTestPresence, type TestPresence } from './support/startTestPresence';
import { presenceScripts } from '../src/storage/presenceScripts';

// Runs against the machine's shared Redis: keys under a prefix of this file's own, channels of random user ids.
let p: TestPresence;
let recorder: ChannelRecorder | undefined;

beforeAll(async () => {
  p = await startTestPresence();
});
afterAll(async () => {
  await p.close();
});
afterEach(() => {
  recorder?.close();
  recorder = undefined;
});

async function record(...userIds: string[]): Promise<ChannelRecorder> {
  recorder = await ChannelRecorder.start(p.config.REDIS_URL, userIds);
  return recorder;
}

async function presenceOf(ids: string[], viewerId = randomUserId()) {
  const res = await p.request<PresenceOfData>(PRESENCE_OF, { representations: users(ids) }, viewerId);
  expect(res.errors).toBeUndefined();
  return res.data!._entities.map((e) => e!.presence);
}

describe('heartbeat and goOffline', () => {
  it('a heartbeat makes the viewer ONLINE for everyone who reads their presence, and tells watchers once', async () => {
    const alice = randomUserId();
    const events = await record(alice);
    expect(await presenceOf([alice])).toEqual([{ status: 'OFFLINE', lastSeenAt: null }]);

    const res = await p.request(HEARTBEAT, {}, alice);
    expect(res.errors).toBeUndefined();
    const lastSeenAt: string = res.data!.heartbeat.lastSeenAt;
    expect(res.data!.heartbeat).toEqual({ status: 'ONLINE', lastSeenAt });
    expect(new Date(lastSeenAt).toISOString()).toBe(lastSeenAt);

    expect(await presenceOf([alice])).toEqual([{ status: 'ONLINE', lastSeenAt }]);
    await events.waitForStatus(alice, 'ONLINE');
    expect(events.eventsOf(alice)).toEqual([
      {
        __typename: 'PresenceEvent',
        user: { __typename: 'User', id: alice },
        status: 'ONLINE',
        lastSeenAt,
        at: lastSeenAt,
      },
    ]);
  });

  it('reporting AWAY makes the viewer AWAY, and ONLINE again when they come back', async () => {
    const bob = randomUserId();
    const events = await record(bob);
    await p.request(HEARTBEAT, { status: 'ONLINE' }, bob);
    const away = await p.request(HEARTBEAT, { status: 'AWAY' }, bob);
    expect(away.data!.heartbeat.status).toBe('AWAY');
    expect((await presenceOf([bob]))[0]!.status).toBe('AWAY');
    const back = await p.request(HEARTBEAT, { status: 'ONLINE' }, bob);
    expect(back.data!.heartbeat.status).toBe('ONLINE');
    await events.waitUntil(() => events.eventsOf(bob).length === 3);
    expect(events.statusesOf(bob)).toEqual(['ONLINE', 'AWAY', 'ONLINE']);
  });

  it('goOffline makes the viewer OFFLINE at once and keeps when they were last seen', async () => {
    const carol = randomUserId();
    const events = await record(carol);
    const online = await p.request(HEARTBEAT, {}, carol);
    const off = await p.request(GO_OFFLINE, {}, carol);
    expect(off.errors).toBeUndefined();
    const { status, lastSeenAt } = off.data!.goOffline;
    expect(status).toBe('OFFLINE');
    expect(Date.parse(lastSeenAt)).toBeGreaterThanOrEqual(Date.parse(online.data!.heartbeat.lastSeenAt));
    expect(await presenceOf([carol])).toEqual([{ status: 'OFFLINE', lastSeenAt }]);
    await events.waitForStatus(carol, 'OFFLINE');
    expect(events.eventsOf(carol).at(-1)).toMatchObject({ status: 'OFFLINE', lastSeenAt, at: lastSeenAt });
  });

  it('a repeated heartbeat with the same status publishes nothing; only changes are published', async () => {
    const dave = randomUserId();
    const events = await record(dave);
    for (const status of ['ONLINE', 'ONLINE', 'ONLINE', 'AWAY', 'AWAY']) {
      const res = await p.request(HEARTBEAT, { status }, dave);
      expect(res.data!.heartbeat.status).toBe(status);
    }
    for (let i = 0; i < 2; i++) expect((await p.request(GO_OFFLINE, {}, dave)).data!.goOffline.status).toBe('OFFLINE');
    // Events of one channel arrive in publish order: once this last transition is seen, any duplicate before it
    // would have been seen too.
    await p.request(HEARTBEAT, {}, dave);
    await events.waitUntil(() => events.eventsOf(dave).length >= 4);
    expect(events.statusesOf(dave)).toEqual(['ONLINE', 'AWAY', 'OFFLINE', 'ONLINE']);
  });

  it('goOffline of a user who is not online publishes nothing', async () => {
    const erin = randomUserId();
    const events = await record(erin);
    expect((await p.request(GO_OFFLINE, {}, erin)).data!.goOffline.status).toBe('OFFLINE');
    await p.request(HEARTBEAT, { status: 'AWAY' }, erin);
    await events.waitForStatus(erin, 'AWAY');
    expect(events.statusesOf(erin)).toEqual(['AWAY']);
  });
});

describe('bad requests', () => {
  it('heartbeat(status: OFFLINE) is refused with BAD_USER_INPUT and changes nothing', async () => {
    const frank = randomUserId();
    const events = await record(frank);
    await p.request(HEARTBEAT, { status: 'AWAY' }, frank);
    const res = await p.request(HEARTBEAT, { status: 'OFFLINE' }, frank);
    expect(res.data).toBeNull();
    expect(res.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'status' });
    expect(res.errors![0]!.message).toMatch(/goOffline/);
    expect((await presenceOf([frank]))[0]!.status).toBe('AWAY');
    await p.request(HEARTBEAT, { status: 'ONLINE' }, frank);
    await events.waitForStatus(frank, 'ONLINE');
    expect(events.statusesOf(frank)).toEqual(['AWAY', 'ONLINE']);
  });

  it('an unknown status is a validation error', async () => {
    const res = await p.request('mutation { heartbeat(status: BUSY) { status } }', {}, randomUserId());
    expect(res.status).toBe(400);
    expect(res.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const viaVariable = await p.request(HEARTBEAT, { status: 'online' }, randomUserId());
    expect(viaVariable.errors![0]!.extensions!.code).toMatch(/BAD_USER_INPUT|GRAPHQL_VALIDATION_FAILED/);
    expect(viaVariable.errors![0]!.message).toMatch(/PresenceStatus/);
  });

  it('mutations need a signed-in viewer', async () => {
    for (const op of [HEARTBEAT, GO_OFFLINE]) {
      const res = await p.request(op, {}, null);
      expect(res.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    }
  });

  it('heartbeats are rate-limited per user: RATE_LIMITED with retryAfterMs, and the refused one changes nothing', async () => {
    const gina = randomUserId();
    const other = randomUserId();
    for (let i = 0; i < 10; i++) expect((await p.request(HEARTBEAT, {}, gina)).errors).toBeUndefined();
    const limited = await p.request(HEARTBEAT, { status: 'AWAY' }, gina);
    expect(limited.data).toBeNull();
    const ext = limited.errors![0]!.extensions!;
    expect(ext.code).toBe('RATE_LIMITED');
    expect(ext.retryAfterMs).toBeGreaterThan(0);
    expect(ext.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect((await presenceOf([gina]))[0]!.status).toBe('ONLINE');
    // Another user is not affected, and signing off is never refused.
    expect((await p.request(HEARTBEAT, {}, other)).data!.heartbeat.status).toBe('ONLINE');
    expect((await p.request(GO_OFFLINE, {}, gina)).data!.goOffline.status).toBe('OFFLINE');
  });

  it('a malformed user id in an entity reference fails that entry only', async () => {
    const henry = randomUserId();
    await p.request(HEARTBEAT, {}, henry);
    const res = await p.request<PresenceOfData>(PRESENCE_OF, { representations: users([henry, '12x', henry]) }, henry);
    expect(res.data!._entities.map((e) => e?.presence.status ?? null)).toEqual(['ONLINE', null, 'ONLINE']);
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'id' });
  });
});

describe('presenceChanged subscription gate (canWatchPresence)', () => {
  const ids = (n: number) => Array.from({ length: n }, () => randomUserId());

  it('lets a signed-in user watch 1 to 500 users they may see', async () => {
    for (const n of [1, 500]) {
      const res = await p.request(CAN_WATCH, { userIds: ids(n) }, randomUserId());
      expect(res).toMatchObject({ status: 200, data: { canWatchPresence: true } });
    }
  });

  it.each([
    ['an empty list', [] as string[], /at least one/],
    ['501 ids', ids(501), /at most 500/],
    ['a malformed id', ['42', 'abc'], /userIds\[1\]/],
    ['an id with a leading zero', ['042'], /userIds\[0\]/],
    ['an id beyond 64 bits', ['99999999999999999999'], /userIds\[0\]/],
  ])('refuses %s with BAD_USER_INPUT naming userIds', async (_, userIds, message) => {
    const res = await p.request(CAN_WATCH, { userIds }, randomUserId());
    expect(res.data).toBeNull();
    expect(res.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'userIds' });
    expect(res.errors![0]!.message).toMatch(message);
  });

  it('refuses an anonymous subscriber', async () => {
    const res = await p.request(CAN_WATCH, { userIds: ids(1) }, null);
    expect(res.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
  });

  it('a subscription sent to the subgraph itself gets a clear error pointing at the gateway', async () => {
    const res = await p.request('subscription { presenceChanged(userIds: ["1"]) { status } }', {}, randomUserId());
    expect(res.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(res.errors![0]!.message).toMatch(/gateway/);
  });
});

describe('scripts', () => {
  it('formats timestamps in Lua exactly like Date.prototype.toISOString', async () => {
    const samples = [
      0,
      Date.UTC(2000, 1, 29, 23, 59, 59, 999),
      Date.UTC(2024, 1, 29, 0, 0, 0, 1),
      Date.UTC(2100, 2, 1, 12, 0, 0, 0),
      Date.UTC(2025, 11, 31, 23, 59, 59, 999),
      Date.now(),
      ...Array.from({ length: 200 }, () => Math.floor(Math.random() * 8_000_000_000_000)),
    ];
    const formatted = await presenceScripts.isoFormat.run(p.redis, [], samples);
    expect(formatted).toEqual(samples.map((ms) => new Date(ms).toISOString()));
  });
});
