/**
 * The gateway's in-memory list of ended sessions over a real Redis of the test's own: filled at start, kept current by
 * the channel, reloaded after a Redis restart, merged (never replaced), and forgetting entries past their `until`.
 */
import Redis from 'ioredis';
import { RevocationFeed, type Revocation } from '@chatgraph/auth';
import { composeId } from '@chatgraph/ids';
import { createLogger } from '@chatgraph/logging';
import { RedisEventBus } from '@chatgraph/pubsub';
import { RedisServer, TcpProxy, waitUntil } from '@chatgraph/testing';
import { RevocationList } from '../src/auth/RevocationList';
import { RedisTopicHub } from '../src/subscriptions/RedisTopicHub';

const logger = createLogger('revocations-test', 'silent');
const keys = RevocationFeed.keys('revtest');
const HOUR = 3600_000;

/** A session id of a session started at `timeMs`. */
const sessionAt = (timeMs: number, sequence = 1) => String(composeId({ timeMs, logicalShard: 7, sequence }));

describe('RevocationList', () => {
  let redis: RedisServer;
  let writer: Redis;
  let bus: RedisEventBus;
  let list: RevocationList;
  let now = Date.now();

  /** What the users service does: store, then announce. */
  const revoke = async (revocation: Revocation, announce = true) => {
    const key = revocation.kind === 'session' ? keys.sessions : keys.users;
    await writer.zadd(key, revocation.until, RevocationFeed.member(revocation));
    if (announce) await writer.publish(keys.channel, RevocationFeed.encode(revocation));
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    writer = new Redis(redis.url, { maxRetriesPerRequest: null });
  });
  afterEach(async () => {
    list?.stop();
    await bus?.close();
  });
  afterAll(async () => {
    writer.disconnect();
    await redis.close();
  });

  const start = async (url = redis.url) => {
    bus = new RedisEventBus({ url, logger });
    list = new RevocationList({
      reader: bus.publisher,
      subscriber: bus.channels,
      hub: new RedisTopicHub(bus.channels, logger),
      keys,
      logger,
      now: () => now,
    });
    expect(() => list.assertLoaded()).toThrow(/still loading ended sessions/);
    await list.start();
    expect(list.loaded).toBe(true);
  };

  it('knows at start what was revoked before, and hears of later revocations on the channel', async () => {
    now = Date.now();
    const early = sessionAt(now - HOUR);
    await revoke({ kind: 'session', userId: '11', sessionId: early, until: now + HOUR });
    await start();
    expect(list.isRevoked({ userId: '11', sessionId: early })).toBe(true);
    expect(list.isRevoked({ userId: '11', sessionId: sessionAt(now - HOUR, 2) })).toBe(false);

    const heard: Revocation[] = [];
    list.onRevoked((r) => heard.push(r));
    const later = sessionAt(now - 1000);
    await revoke({ kind: 'session', userId: '12', sessionId: later, until: now + HOUR });
    await waitUntil('the revocation is heard', () => list.isRevoked({ userId: '12', sessionId: later }));
    expect(heard).toEqual([{ kind: 'session', userId: '12', sessionId: later, until: now + HOUR }]);
    // Garbage on the channel changes nothing.
    await writer.publish(keys.channel, '{"kind":"session","userId":"x"}');
    await writer.publish(keys.channel, 'not json');
    expect(list.size.sessions).toBe(2);
  });

  it("a user's instant revokes the sessions started before it, not those started after", async () => {
    now = Date.now();
    await start();
    await revoke({ kind: 'user', userId: '21', notBefore: now - 5000, until: now + HOUR });
    const before = sessionAt(now - 6000);
    await waitUntil('the instant is heard', () => list.isRevoked({ userId: '21', sessionId: before }));
    expect(list.isRevoked({ userId: '21', sessionId: sessionAt(now - 4000) })).toBe(false);
    expect(list.isRevoked({ userId: '22', sessionId: before })).toBe(false);
  });

  it('forgets an entry once no token it covers can be valid any more', async () => {
    now = Date.now();
    await start();
    const sessionId = sessionAt(now - 1000);
    await revoke({ kind: 'session', userId: '31', sessionId, until: now + 60_000 });
    await waitUntil('heard', () => list.isRevoked({ userId: '31', sessionId }));
    now += 60_001;
    expect(list.isRevoked({ userId: '31', sessionId })).toBe(false);
  });

  it('after a Redis restart it keeps what it knew and loads what was written while it was disconnected', async () => {
    now = Date.now();
    const known = sessionAt(now - 2000);
    await revoke({ kind: 'session', userId: '41', sessionId: known, until: now + HOUR });
    // The list reaches Redis through a proxy, so the test decides when it can reconnect: only after the missed
    // revocation below is stored (left to the two clients' reconnect timing, the list sometimes reloaded first).
    const proxy = await TcpProxy.start(redis.port);
    try {
      await start(`redis://127.0.0.1:${proxy.port}`);
      proxy.cut();
      await redis.restart(); // empty: the entry is gone from Redis
      const missed = sessionAt(now - 1000);
      // Stored but never announced: as if published while this gateway's subscriber was reconnecting.
      await revoke({ kind: 'session', userId: '42', sessionId: missed, until: now + HOUR }, false);
      proxy.heal();
      await waitUntil('reloaded after the reconnect', () => list.isRevoked({ userId: '42', sessionId: missed }));
      expect(list.isRevoked({ userId: '41', sessionId: known })).toBe(true);
    } finally {
      list.stop();
      await bus.close();
      await proxy.close();
    }
  }, 30_000);
});
