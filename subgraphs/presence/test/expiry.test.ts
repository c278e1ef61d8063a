import { createPresenceRedis } from '../src/storage/createPresenceRedis';
import { PresenceStore } from '../src/storage/PresenceStore';
import { PresenceSweeper } from '../src/PresenceSweeper';
import { ChannelRecorder } from './support/ChannelRecorder';
import { GO_OFFLINE, HEARTBEAT, PRESENCE_OF, users, type PresenceOfData } from './support/operations';
import { randomUserId } from './support/randomUserId';
import { redisReady, startTestPresence, type TestPresence } from './support/startTestPresence';

// A TTL of 1 s, so heartbeats lapse within the test. The shared Redis; keys under a prefix of each test's own, so
// users of one test never lapse into the sweeps of the next.
let p: TestPresence;
let recorder: ChannelRecorder | undefined;
const cleanup: Array<() => unknown> = [];

beforeEach(async () => {
  p = await startTestPresence({ env: { PRESENCE_TTL_SECONDS: '1' }, store: { heartbeatLimit: 1000 } });
});
afterEach(async () => {
  recorder?.close();
  recorder = undefined;
  for (const fn of cleanup.splice(0)) await fn();
  await p.close();
});

async function record(userIds: string[]): Promise<ChannelRecorder> {
  recorder = await ChannelRecorder.start(p.config.REDIS_URL, userIds);
  return recorder;
}

/** A second instance's sweeper: its own Redis connection and store over the same keys. */
async function otherInstanceSweeper(intervalMs: number): Promise<PresenceSweeper> {
  const redis = createPresenceRedis(p.config.REDIS_URL, p.logger);
  await redisReady(redis);
  const store = new PresenceStore({ redis, ttlMs: 1000, keyPrefix: p.keyPrefix });
  const sweeper = new PresenceSweeper({ store, intervalMs, logger: p.logger, batchSize: 7 });
  cleanup.push(async () => {
    await sweeper.stop();
    redis.disconnect();
  });
  return sweeper;
}

async function statusOf(userId: string): Promise<{ status: string; lastSeenAt: string | null }> {
  const res = await p.request<PresenceOfData>(PRESENCE_OF, { representations: users([userId]) }, randomUserId());
  return res.data!._entities[0]!.presence;
}

async function waitUntilLapsed(userId: string): Promise<void> {
  while ((await statusOf(userId)).status !== 'OFFLINE') await new Promise((r) => setTimeout(r, 100));
}

it('without heartbeats past the TTL, each user goes OFFLINE with exactly one event, even with two sweepers running', async () => {
  const ids = Array.from({ length: 40 }, () => randomUserId());
  const events = await record(ids);
  const a = await otherInstanceSweeper(20);
  const b = await otherInstanceSweeper(20);

  const seen = new Map<string, string>();
  for (const [i, id] of ids.entries()) {
    const res = await p.request(HEARTBEAT, { status: i % 2 ? 'AWAY' : 'ONLINE' }, id);
    seen.set(id, res.data!.heartbeat.lastSeenAt);
  }
  a.start();
  b.start();
  await events.waitUntil(() => ids.every((id) => events.eventsOf(id).at(-1)?.status === 'OFFLINE'));
  await Promise.all([a.stop(), b.stop()]);
  // Barrier: a fresh transition per user; events of a channel arrive in order, so a duplicate OFFLINE would have
  // arrived before it.
  for (const id of ids) await p.request(HEARTBEAT, {}, id);
  await events.waitUntil(() => ids.every((id) => events.eventsOf(id).at(-1)?.status === 'ONLINE'));

  for (const [i, id] of ids.entries()) {
    expect(events.statusesOf(id)).toEqual([i % 2 ? 'AWAY' : 'ONLINE', 'OFFLINE', 'ONLINE']);
    const offline = events.eventsOf(id)[1]!;
    // lastSeenAt stays the last heartbeat; the change took effect when the TTL ran out.
    expect(offline.lastSeenAt).toBe(seen.get(id));
    expect(Date.parse(offline.at) - Date.parse(seen.get(id)!)).toBe(1000);
  }
  expect(a.published + b.published).toBe(ids.length);
});

it('sweepers racing on the same lapsed users publish each transition once', async () => {
  const ids = Array.from({ length: 60 }, () => randomUserId());
  const events = await record(ids);
  const sweepers = await Promise.all([
    otherInstanceSweeper(1000),
    otherInstanceSweeper(1000),
    otherInstanceSweeper(1000),
  ]);
  for (const id of ids) await p.request(HEARTBEAT, {}, id);
  await waitUntilLapsed(ids.at(-1)!);
  // All lapsed: three instances sweep at the same moment, in small batches.
  const published = await Promise.all(sweepers.map((s) => s.sweepOnce()));
  expect(published.reduce((x, y) => x + y, 0)).toBe(ids.length);
  expect(await Promise.all(sweepers.map((s) => s.sweepOnce()))).toEqual([0, 0, 0]);
  for (const id of ids) await p.request(GO_OFFLINE, {}, id); // already OFFLINE: publishes nothing
  for (const id of ids) await p.request(HEARTBEAT, {}, id);
  await events.waitUntil(() => ids.every((id) => events.eventsOf(id).length >= 3));
  for (const id of ids) expect(events.statusesOf(id)).toEqual(['ONLINE', 'OFFLINE', 'ONLINE']);
});

it('a heartbeat after the TTL lapsed (not yet swept) is a transition from OFFLINE, and no stale OFFLINE follows', async () => {
  const ivy = randomUserId();
  const events = await record([ivy]);
  const sweeper = await otherInstanceSweeper(1000);
  await p.request(HEARTBEAT, {}, ivy);
  await waitUntilLapsed(ivy);
  const again = await p.request(HEARTBEAT, {}, ivy);
  expect(again.data!.heartbeat.status).toBe('ONLINE');
  await events.waitUntil(() => events.eventsOf(ivy).length === 2);
  expect(await sweeper.sweepOnce()).toBe(0);
  await p.request(GO_OFFLINE, {}, ivy);
  await events.waitForStatus(ivy, 'OFFLINE');
  expect(events.statusesOf(ivy)).toEqual(['ONLINE', 'ONLINE', 'OFFLINE']);
  expect(events.eventsOf(ivy)[1]!.lastSeenAt).toBe(again.data!.heartbeat.lastSeenAt);
});

it('goOffline after the TTL lapsed (not yet swept) announces OFFLINE once, and the sweeper then has nothing to do', async () => {
  const jack = randomUserId();
  const events = await record([jack]);
  const sweeper = await otherInstanceSweeper(1000);
  await p.request(HEARTBEAT, { status: 'AWAY' }, jack);
  await waitUntilLapsed(jack);
  await p.request(GO_OFFLINE, {}, jack);
  expect(await sweeper.sweepOnce()).toBe(0);
  await p.request(HEARTBEAT, {}, jack);
  await events.waitForStatus(jack, 'ONLINE');
  expect(events.statusesOf(jack)).toEqual(['AWAY', 'OFFLINE', 'ONLINE']);
});

it('a lapsed user reads as OFFLINE with lastSeenAt kept, before and after the sweep', async () => {
  const kim = randomUserId();
  const sweeper = await otherInstanceSweeper(1000);
  const hb = await p.request(HEARTBEAT, {}, kim);
  await waitUntilLapsed(kim);
  expect(await statusOf(kim)).toEqual({ status: 'OFFLINE', lastSeenAt: hb.data!.heartbeat.lastSeenAt });
  await sweeper.sweepOnce();
  expect(await statusOf(kim)).toEqual({ status: 'OFFLINE', lastSeenAt: hb.data!.heartbeat.lastSeenAt });
});
