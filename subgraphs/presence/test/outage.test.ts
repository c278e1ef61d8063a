import { infrastructureFailure } from '@chatgraph/service';
import { RedisServer } from '@chatgraph/testing';
import { PresenceSweeper } from '../src/PresenceSweeper';
import { ChannelRecorder } from './support/ChannelRecorder';
import { FreezableProxy } from './support/FreezableProxy';
import { GO_OFFLINE, HEARTBEAT, PRESENCE_OF, users, type PresenceOfData } from './support/operations';
import { randomUserId } from './support/randomUserId';
import { startTestPresence, type TestPresence } from './support/startTestPresence';

// A Redis of this test's own, killed and restarted (never the machine's shared one).
let redisServer: RedisServer;
let p: TestPresence;
let sweeper: PresenceSweeper;
let base: string;

beforeAll(async () => {
  redisServer = await RedisServer.start();
  p = await startTestPresence({ redisUrl: redisServer.url, env: { PRESENCE_TTL_SECONDS: '1' } });
  sweeper = new PresenceSweeper({ store: p.server.store, intervalMs: 50, logger: p.logger });
  sweeper.start();
  base = p.url.replace(/\/graphql$/, '');
});
afterAll(async () => {
  await sweeper?.stop();
  await p?.close();
  await redisServer?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('while Redis is down requests answer SERVICE_UNAVAILABLE; when it is back, presence comes back with heartbeats', async () => {
  const lena = randomUserId();
  expect((await p.request(HEARTBEAT, {}, lena)).data!.heartbeat.status).toBe('ONLINE');
  expect((await fetch(`${base}/ready`)).status).toBe(200);

  await redisServer.stop();
  const sweepsBefore = sweeper.published;
  for (let i = 0; i < 3; i++) {
    for (const [op, vars] of [
      [HEARTBEAT, {}],
      [GO_OFFLINE, {}],
      [PRESENCE_OF, { representations: users([lena]) }],
    ] as const) {
      const res = await p.request(op, vars, lena);
      expect(res.status).toBe(200);
      expect(res.errors).toHaveLength(1);
      expect(res.errors![0]!.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE' });
      expect(JSON.stringify(res.errors)).not.toMatch(/stack|ECONNREFUSED|ioredis/i);
    }
    await sleep(100); // let the sweeper fail a few times too
  }
  // The sweeper (no request to answer) sees the Redis error itself, one the outage mapping recognizes.
  const sweepError = await sweeper.sweepOnce().then(
    () => null,
    (err: unknown) => err,
  );
  expect(infrastructureFailure(sweepError)).toBe('redis');
  expect((await fetch(`${base}/ready`)).status).toBe(503);
  expect((await fetch(`${base}/health`)).status).toBe(200);
  expect(sweeper.published).toBe(sweepsBefore);

  // Redis comes back empty (no persistence): the client reconnects by itself and heartbeats rebuild presence.
  await redisServer.restart();
  let hb = await p.request(HEARTBEAT, { status: 'AWAY' }, lena);
  while (hb.errors?.[0]?.extensions?.code === 'SERVICE_UNAVAILABLE') {
    await sleep(50);
    hb = await p.request(HEARTBEAT, { status: 'AWAY' }, lena);
  }
  expect(hb.errors).toBeUndefined();
  expect(hb.data!.heartbeat.status).toBe('AWAY');
  const read = await p.request<PresenceOfData>(PRESENCE_OF, { representations: users([lena]) }, randomUserId());
  expect(read.data!._entities[0]!.presence).toEqual({ status: 'AWAY', lastSeenAt: hb.data!.heartbeat.lastSeenAt });
  expect((await fetch(`${base}/ready`)).status).toBe(200);
});

it('the sweeper keeps running through the outage and announces lapsed users again afterwards', async () => {
  const mo = randomUserId();
  const events = await ChannelRecorder.start(redisServer.url, [mo]);
  try {
    await p.request(HEARTBEAT, {}, mo);
    await events.waitForStatus(mo, 'OFFLINE'); // TTL 1 s, swept by the running sweeper
    expect(events.statusesOf(mo)).toEqual(['ONLINE', 'OFFLINE']);
  } finally {
    events.close();
  }
});

describe('a Redis that hangs instead of refusing', () => {
  let proxy: FreezableProxy;
  let hung: TestPresence;

  beforeAll(async () => {
    proxy = await FreezableProxy.start(redisServer.port);
    hung = await startTestPresence({ redisUrl: proxy.url });
  });
  afterAll(async () => {
    proxy?.thaw();
    await hung?.close();
    await proxy?.close();
  });

  it('requests give up with SERVICE_UNAVAILABLE instead of hanging, and work again once Redis answers', async () => {
    const nina = randomUserId();
    expect((await hung.request(HEARTBEAT, {}, nina)).data!.heartbeat.status).toBe('ONLINE');
    proxy.freeze();
    const res = await hung.request(HEARTBEAT, { status: 'AWAY' }, nina);
    expect(res.errors![0]!.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE' });
    const read = await hung.request(PRESENCE_OF, { representations: users([nina]) }, nina);
    expect(read.errors![0]!.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE' });
    expect((await fetch(`${hung.url.replace(/\/graphql$/, '')}/ready`)).status).toBe(503);
    proxy.thaw();
    const after = await hung.request(HEARTBEAT, { status: 'ONLINE' }, nina);
    expect(after.errors).toBeUndefined();
    expect(after.data!.heartbeat.status).toBe('ONLINE');
  });
});
