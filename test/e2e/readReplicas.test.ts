/**
 * Read replicas over real processes: a throwaway primary and a streaming replica of it (`pg_basebackup -R`), two
 * processes each of every subgraph configured with the replica (DATABASE_REPLICA_URLS), one gateway balancing them
 * round-robin (so a request and the next land on different processes).
 *
 * - A client that writes (a message, its display name, its inbox read marks) and reads back (the history page, `me`,
 *   the unread count) always sees its write, many times in a row, while the replica's replay is paused (so the replica is stale but within the bound).
 * - Reads of a client that wrote nothing run on the replica (the processes' `db_replica_statements_total`).
 * - A replica whose replay stays paused past REPLICA_MAX_LAG_MS is skipped: another user sees the new message.
 * - A replica killed mid-load changes nothing for clients (no errors, every write read back), its health metric
 *   drops to 0 and its lag grows; started again, it serves reads again by itself.
 * - The processes still stop cleanly on SIGTERM.
 */
import { Client } from 'pg';
import { NotificationInbox } from '@chatgraph/notifications';
import {
  createTestDatabases,
  gatewayRequest,
  PostgresCluster,
  ProcessStack,
  signUp,
  testConfig,
  waitUntil,
  type TestDatabases,
  type TestUser,
} from '@chatgraph/testing';

const HISTORY = 'query($c: ID!) { chat(id: $c) { messages(last: 5) { nodes { text } } } }';
type History = { chat: { messages: { nodes: Array<{ text: string }> } } };
const SEND =
  'mutation($c: ID!, $t: String!, $m: String!) { sendMessage(chatId: $c, text: $t, clientMessageId: $m) { seq } }';
const RENAME = 'mutation($n: String!) { updateProfile(displayName: $n) { displayName } }';
const CHATS = ['chats', 'chats-2'] as const;
const USERS = ['users', 'users-2'] as const;

describe('read replicas behind the gateway', () => {
  let primary: PostgresCluster;
  let replica: PostgresCluster;
  let replicaAdmin: Client;
  let dbs: TestDatabases;
  let stack: ProcessStack;
  let alice: TestUser;
  let bob: TestUser;
  let chatId: string;
  let sent = 0;

  const call = async <T>(user: TestUser, query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const res = await gatewayRequest<T>(stack.url('gateway'), user.token, query, variables);
    if (!res.data || res.errors?.length) throw new Error(`${query}: ${JSON.stringify(res.errors)}`);
    return res.data;
  };
  const send = (user: TestUser, text: string) => call(user, SEND, { c: chatId, t: text, m: `rr-${sent++}` });
  const history = async (user: TestUser) =>
    (await call<History>(user, HISTORY, { c: chatId })).chat.messages.nodes.map((m) => m.text);

  /** The values of a metric in the processes' /metrics, summed over them (and over the series of each). */
  const metric = async (processes: readonly string[], name: string): Promise<number[]> =>
    Promise.all(
      processes.map(async (p) => {
        const text = await (await fetch(stack.adminUrl(p, '/metrics'))).text();
        return text
          .split('\n')
          .filter((line) => line.startsWith(`${name}{`))
          .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
      }),
    );
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  const replicaStatements = async () => sum(await metric([...CHATS, ...USERS], 'db_replica_statements_total'));
  const chatsHealth = () => metric(CHATS, 'db_replica_healthy');
  const connectReplica = async () => {
    const client = new Client({ connectionString: `${replica.url}/postgres` });
    // Its connection dies with the replica in the last test.
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };

  beforeAll(async () => {
    primary = await PostgresCluster.start();
    replica = await PostgresCluster.startReplicaOf(primary);
    replicaAdmin = await connectReplica();
    const config = testConfig({ DATABASE_URL: primary.url, USERS_SHARDS: '1', CHATS_SHARDS: '1' });
    dbs = await createTestDatabases(config);
    stack = new ProcessStack(
      ProcessStack.envFor(config, {
        DATABASE_REPLICA_URLS: replica.url,
        // Long enough for the read-your-writes test to run against a paused (stale) replica still counted healthy.
        REPLICA_MAX_LAG_MS: '4000',
        REPLICA_PROBE_MS: '100',
        SUBGRAPH_BALANCING: 'round-robin',
      }),
    );
    await stack.startSubgraphs({}, { replicas: 2 });
    await stack.start('gateway', 'gateway');
    [alice, bob] = await Promise.all([signUp(stack.url('gateway'), 'Alice'), signUp(stack.url('gateway'), 'Bob')]);
    const created = await call<{ createGroupChat: { id: string } }>(
      alice,
      'mutation($m: [ID!]!) { createGroupChat(title: "replicas", memberIds: $m) { id } }',
      { m: [bob.id] },
    );
    chatId = created.createGroupChat.id;
    await waitUntil('every chats process counts the replica healthy', async () =>
      (await chatsHealth()).every((v) => v === 1),
    );
  }, 180_000);

  afterAll(async () => {
    await replicaAdmin?.end().catch(() => undefined);
    await stack?.close();
    await dbs?.drop().catch(() => undefined);
    await replica?.close();
    await primary?.close();
  });

  it('lets a client read its own writes on any process, and serves the reads of others from the replica', async () => {
    // Three notifications for Alice (the notifier's insert), replayed by the replica before it is paused.
    await new NotificationInbox(dbs.notifications).add(
      [1, 2, 3].map((eventSeq) => ({
        recipientId: BigInt(alice.id),
        kind: 'MENTION' as const,
        chatId: BigInt(chatId),
        eventSeq,
        messageId: null,
        actorId: BigInt(bob.id),
      })),
    );
    const unread = async () =>
      (await call<{ unreadNotificationCount: number }>(alice, '{ unreadNotificationCount }')).unreadNotificationCount;
    await waitUntil('Alice sees her three notifications', async () => (await unread()) === 3);
    await replicaAdmin.query('SELECT pg_wal_replay_pause()');
    try {
      // Marked read, the inbox reads as read on both notifications processes.
      await call(alice, 'mutation { markNotificationsRead(all: true) }');
      for (let i = 0; i < 4; i++) expect(await unread()).toBe(0);
      for (let i = 0; i < 12; i++) {
        await send(alice, `mine ${i}`);
        expect(await history(alice)).toContain(`mine ${i}`);
        if (i % 3 === 0) {
          await call(alice, RENAME, { n: `Alice ${i}` });
          expect(await call<{ me: { displayName: string } }>(alice, '{ me { displayName } }')).toEqual({
            me: { displayName: `Alice ${i}` },
          });
        }
      }
    } finally {
      await replicaAdmin.query('SELECT pg_wal_replay_resume()');
    }
    await waitUntil('every chats process counts the replica healthy', async () =>
      (await chatsHealth()).every((v) => v === 1),
    );
    // Bob wrote nothing: once the replica replayed Alice's messages, his reads run there and see them.
    const before = await replicaStatements();
    await waitUntil('Bob sees the last message', async () => (await history(bob)).includes('mine 11'));
    expect(await replicaStatements()).toBeGreaterThan(before);
  });

  it('skips a replica that lags past REPLICA_MAX_LAG_MS: other users see new messages at once', async () => {
    await replicaAdmin.query('SELECT pg_wal_replay_pause()');
    try {
      await send(alice, 'while the replica lags');
      await waitUntil('every chats process skips the lagging replica', async () =>
        (await chatsHealth()).every((v) => v === 0),
      );
      expect(Math.min(...(await metric(CHATS, 'db_replica_lag_bytes')))).toBeGreaterThan(0);
      const before = await replicaStatements();
      for (let i = 0; i < 4; i++) expect(await history(bob)).toContain('while the replica lags');
      expect(await replicaStatements()).toBe(before);
    } finally {
      await replicaAdmin.query('SELECT pg_wal_replay_resume()');
    }
    await waitUntil('the replica is healthy again', async () => (await chatsHealth()).every((v) => v === 1));
  });

  it('changes nothing for clients when the replica is killed mid-load, and uses it again once it is back', async () => {
    const failures: string[] = [];
    let rounds = 0;
    let stop = false;
    const load = (async () => {
      for (let i = 0; !stop; i++) {
        try {
          await send(alice, `load ${i}`);
          const mine = await history(alice);
          if (!mine.includes(`load ${i}`)) failures.push(`Alice did not see load ${i}: ${mine.join(', ')}`);
          await history(bob);
          rounds++;
        } catch (err) {
          failures.push(String(err));
        }
      }
    })();
    const atStart = await replicaStatements();
    await waitUntil('the load reads on the replica', async () => (await replicaStatements()) > atStart);
    await replicaAdmin.end().catch(() => undefined);
    await replica.stop('immediate');
    const atKill = rounds;
    await waitUntil('every chats process counts the replica unhealthy', async () =>
      (await chatsHealth()).every((v) => v === 0),
    );
    await waitUntil('the lag metric shows the silent replica', async () =>
      (await metric(CHATS, 'db_replica_lag_seconds')).every((v) => v > 0.5),
    );
    await waitUntil('the load went on', () => rounds > atKill + 10);
    stop = true;
    await load;
    expect(failures).toEqual([]);

    await replica.startServer();
    replicaAdmin = await connectReplica();
    await waitUntil('the replica is healthy again', async () => (await chatsHealth()).every((v) => v === 1), 30_000);
    const back = await replicaStatements();
    await waitUntil('reads run on the replica again', async () => {
      await history(bob);
      return (await replicaStatements()) > back;
    });
  }, 90_000);

  it('stops on SIGTERM, closing the replica pools and lag monitors', async () => {
    for (const name of ['chats-2', 'users-2', 'notifications-2']) expect(await stack.stop(name, 'SIGTERM')).toBe(0);
  });
});
