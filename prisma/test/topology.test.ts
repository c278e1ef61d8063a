import {
  Topology,
  TopologyError,
  TopologyFollower,
  TopologyStore,
  announce,
  topologyChannel,
  type TopologyDocument,
} from '@chatgraph/db';
import { createTestDatabases, testConfig, waitUntil, type TestDatabases } from '@chatgraph/testing';
import Redis from 'ioredis';
import { createLogger } from '@chatgraph/logging';
import { ChannelSubscriber } from '@chatgraph/pubsub';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A valid two-server document (chats split over both), to vary in each test. */
function doc(prefix = 'x'): TopologyDocument {
  return {
    version: 1,
    servers: {
      a: { url: 'postgresql://postgres@127.0.0.1:5432', replicas: [] },
      b: { url: 'postgresql://postgres@10.0.0.2:5432', replicas: ['postgresql://postgres@10.0.0.3:5432'] },
    },
    services: {
      users: [{ database: `${prefix}_users_0`, from: 0, to: 4095, server: 'a' }],
      chats: [
        { database: `${prefix}_chats_0`, from: 0, to: 2047, server: 'a' },
        { database: `${prefix}_chats_1`, from: 2048, to: 4095, server: 'b' },
      ],
      notifications: [{ database: `${prefix}_notifications_0`, from: 0, to: 4095, server: 'a' }],
    },
  };
}

describe('Topology', () => {
  it('places each physical shard on its server, with the server’s replicas', () => {
    const t = Topology.parse(doc());
    expect(t.mapFor('chats').forLogical(3000).database).toBe('x_chats_1');
    expect(t.placementOf('chats', 1)).toEqual({
      server: 'b',
      url: 'postgresql://postgres@10.0.0.2:5432',
      replicas: ['postgresql://postgres@10.0.0.3:5432'],
    });
    expect(t.shardWithRange('chats', 2048, 4095).index).toBe(1);
    expect(() => t.shardWithRange('chats', 1024, 2047)).toThrow(
      /no physical shard with range 1024-2047.*0-2047, 2048-4095/,
    );
  });

  it('refuses documents that would misroute: holes, unknown servers, a database twice on a server, bad URLs', () => {
    const hole = doc();
    hole.services.chats[1]!.from = 2049;
    expect(() => Topology.parse(hole)).toThrow(/chats: .*not contiguous/);
    const unknown = doc();
    unknown.services.users[0]!.server = 'z';
    expect(() => Topology.parse(unknown)).toThrow(/unknown server "z"/);
    const twice = doc();
    twice.services.notifications[0]!.database = 'x_users_0';
    expect(() => Topology.parse(twice)).toThrow(/used twice/);
    expect(() => Topology.parse({ ...doc(), servers: { a: { url: 'http://nope' } } })).toThrow(TopologyError);
    expect(() => Topology.parse({ ...doc(), version: 0 })).toThrow(/version/);
  });

  it('defaults to one server with even ranges: what a single-server install always was', () => {
    const t = Topology.fromConfig({
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/ignored',
      DB_NAME_PREFIX: 'cg',
      USERS_SHARDS: 2,
      CHATS_SHARDS: 4,
      NOTIFICATIONS_SHARDS: 2,
    });
    expect(t.version).toBe(1);
    expect(t.mapFor('chats').shards.map((s) => `${s.database}:${s.from}-${s.to}`)).toEqual([
      'cg_chats_0:0-1023',
      'cg_chats_1:1024-2047',
      'cg_chats_2:2048-3071',
      'cg_chats_3:3072-4095',
    ]);
    expect(t.placementOf('users', 1).url).toBe('postgresql://postgres@127.0.0.1:5432');
  });

  it('a new placement is the next version and can be followed live; new ranges cannot', () => {
    const t = Topology.parse(doc());
    const moved = t.withPlacement('chats', 1, { name: 'c', url: 'postgresql://postgres@10.0.0.9:5432/whatever' });
    expect(moved.version).toBe(2);
    expect(moved.placementOf('chats', 1)).toMatchObject({ server: 'c', url: 'postgresql://postgres@10.0.0.9:5432' });
    expect(t.liveCompatibleWith(moved)).toBe(true);
    const split = doc();
    split.services.chats = [
      { database: 'x_chats_0', from: 0, to: 1023, server: 'a' },
      { database: 'x_chats_1', from: 1024, to: 4095, server: 'b' },
    ];
    expect(t.liveCompatibleWith(Topology.parse(split))).toBe(false);
  });
});

describe('TopologyStore, TopologyFollower and ShardRoute on real databases', () => {
  const config = testConfig({ USERS_SHARDS: '1', CHATS_SHARDS: '2', SHARD_FENCE_WAIT_MS: '300' });
  let dbs: TestDatabases;
  let store: TopologyStore;
  beforeAll(async () => {
    dbs = await createTestDatabases(config);
    store = new TopologyStore(config.DATABASE_URL, config.DB_NAME_PREFIX);
  });
  afterAll(() => dbs.drop());

  it('migrations seeded the configured topology as version 1; the stored version wins over the same layout', async () => {
    const configured = Topology.fromConfig(config);
    const stored = await store.latest();
    expect(stored!.version).toBe(1);
    expect(stored!.toJSON()).toEqual(configured.toJSON());
    const v2 = stored!.withPlacement('chats', 1, { name: 'elsewhere', url: 'postgresql://postgres@10.9.9.9:5432' });
    await store.publish(v2, 'test');
    await expect(store.publish(v2)).rejects.toThrow(/version 2 already exists/);
    expect((await store.current(configured)).version).toBe(2);
  });

  it('a process follows an announced version at once, and a fence holds requests to that shard only, within its bound', async () => {
    const subscriberClient = new Redis(config.REDIS_URL);
    const subscriber = new ChannelSubscriber(subscriberClient, createLogger('test', config));
    const publisher = new Redis(config.REDIS_URL);
    const chats = dbs.chats;
    // Back to one server (version 3), announced: the follower places shard 1 where it really is.
    const follower = new TopologyFollower({
      store,
      initial: Topology.fromConfig(config),
      databases: [{ service: 'chats', db: chats }],
      subscriber,
      publisher,
      prefix: config.DB_NAME_PREFIX,
      pollMs: 60_000,
      logger: silent,
    });
    try {
      await subscriber.subscribe(topologyChannel(config.DB_NAME_PREFIX));
      await follower.start();
      expect(follower.current.version).toBe(2);
      expect(chats.urlAt(1)).toBe('postgresql://postgres@10.9.9.9:5432');
      const home = (await store.latest())!.withPlacement('chats', 1, { name: 'default' });
      await store.publish(home);
      await waitUntil(
        'subscribed',
        async () => (await announce(publisher, config.DB_NAME_PREFIX, { type: 'version', version: 3 })) > 0,
      );
      await waitUntil('the follower applied version 3', () => follower.current.version === 3);
      expect(chats.urlAt(1)).toBe(chats.urlAt(0));
      const db1 = await chats.clientAt(1).$queryRaw<Array<{ db: string }>>`SELECT current_database() AS db`;
      expect(db1[0]!.db).toBe(chats.map.shards[1]!.database);

      // Fenced: shard 1 waits (here past the 300 ms bound: SERVICE_UNAVAILABLE-class error), shard 0 does not.
      await announce(publisher, config.DB_NAME_PREFIX, {
        type: 'fence',
        service: 'chats',
        database: chats.map.shards[1]!.database,
        id: 't',
      });
      await waitUntil('fenced', () => chats.fenced(1));
      await expect(chats.clientAt(1).$queryRaw`SELECT 1`).rejects.toThrow(/being moved/);
      await expect(chats.clientAt(0).$queryRaw`SELECT 1 AS one`).resolves.toEqual([{ one: 1 }]);
      // A held request goes on once the shard is unfenced (or placed).
      const held = chats.clientAt(1).$queryRaw<Array<{ one: number }>>`SELECT 1 AS one`;
      chats.unfence(1);
      await expect(held).resolves.toEqual([{ one: 1 }]);
    } finally {
      await follower.stop();
      subscriber.close();
      subscriberClient.disconnect();
      publisher.disconnect();
    }
  });
});
