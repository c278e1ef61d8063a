/**
 * The data tier on three Postgres servers: the chats shards split over two of them by a topology file, a shard range
 * moved to the third while people keep sending to every chat — nothing lost, doubled or reordered, no error for
 * anyone, and the moving range's pause reported. Real servers throughout: three throwaway Postgres clusters (with
 * wal_level = logical, which a move's copy needs), the services and a gateway as processes, the `shards:move` CLI.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { databaseUrl, TopologyStore, type ShardMoveReport } from '@chatgraph/db';
import {
  createTestDatabases,
  deletePipelineTopology,
  gatewayRequest,
  LOAD_RATE_LIMITS,
  PostgresCluster,
  ProcessStack,
  signUp,
  sleep,
  tail,
  testConfig,
  type GraphQLResponse,
  type TestDatabases,
  type TestUser,
  waitUntil,
} from '@chatgraph/testing';

const repoRoot = path.resolve(__dirname, '..', '..');
const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
const RETRY_DELAYS = [100, 200];
/** The range that moves: chats shard 1 of 4. */
const MOVING = { from: 1024, to: 2047 };
const SEND = `mutation($chatId: ID!, $text: String!, $cmid: String!) {
  sendMessage(chatId: $chatId, text: $text, clientMessageId: $cmid) { id seq }
}`;
const HISTORY = `query($chatId: ID!, $after: String) {
  chat(id: $chatId) { messages(first: 100, after: $after) { nodes { seq text } pageInfo { hasNextPage endCursor } } }
}`;

interface Sender {
  chatId: string;
  moving: boolean;
  sent: string[];
  errors: string[];
  maxLatencyMs: number;
  /** Sends tried again with their clientMessageId after SERVICE_UNAVAILABLE (see `startSenders`). */
  retries: number;
}

async function query<T extends object>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

describe('shards on three Postgres servers, one range moved under load', () => {
  let servers: PostgresCluster[] = [];
  let replicas: PostgresCluster[] = [];
  let dbs: TestDatabases | undefined;
  let stack: ProcessStack | undefined;
  let config: ReturnType<typeof testConfig>;
  let prefix: string;
  let dir: string;

  beforeAll(async () => {
    servers = await Promise.all([0, 1, 2].map(() => PostgresCluster.start({ wal_level: 'logical' })));
    const [a, b] = servers as [PostgresCluster, PostgresCluster, PostgresCluster];
    // A streaming replica of each of the first two servers (pg_basebackup -R), named in the topology file.
    replicas = [await PostgresCluster.startReplicaOf(a), await PostgresCluster.startReplicaOf(b)];
    prefix = `t${randomBytes(5).toString('hex')}`;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-topology-'));
    const file = path.join(dir, 'topology.json');
    const shard = (service: string, i: number, from: number, to: number, server: string) => ({
      database: `${prefix}_${service}_${i}`,
      from,
      to,
      server,
    });
    fs.writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        servers: {
          'pg-a': { url: a.url, replicas: [replicas[0]!.url] },
          'pg-b': { url: b.url, replicas: [replicas[1]!.url] },
        },
        services: {
          users: [shard('users', 0, 0, 2047, 'pg-a'), shard('users', 1, 2048, 4095, 'pg-b')],
          chats: [
            shard('chats', 0, 0, 1023, 'pg-a'),
            shard('chats', 1, 1024, 2047, 'pg-a'),
            shard('chats', 2, 2048, 3071, 'pg-b'),
            shard('chats', 3, 3072, 4095, 'pg-b'),
          ],
          notifications: [shard('notifications', 0, 0, 4095, 'pg-a')],
        },
      }),
    );
    config = testConfig({
      DB_NAME_PREFIX: prefix,
      DATABASE_URL: a.url,
      TOPOLOGY_FILE: file,
      USERS_SHARDS: '2',
      CHATS_SHARDS: '4',
      DB_POOL_SIZE: '6',
    });
    dbs = await createTestDatabases(config);
    stack = new ProcessStack(
      ProcessStack.envFor(config, {
        ...LOAD_RATE_LIMITS,
        PASSWORD_HASH_COST: '10',
        AMQP_URL,
        AMQP_PREFIX: prefix,
        NOTIFIER_RETRY_DELAYS_MS: RETRY_DELAYS.join(','),
        RELAY_POLL_MS: '20',
        RELAY_LOCK_RETRY_MS: '200',
      }),
    );
    await stack.startSubgraphs({}, { readyTimeoutMs: 120_000 });
    await stack.start('gateway', 'gateway', undefined, {}, { readyTimeoutMs: 120_000 });
    // The notifier relays every chats shard's event log to RabbitMQ: it must follow the moved shard.
    await stack.start('notifier', 'notifier', undefined, {}, { readyTimeoutMs: 120_000 });
  }, 300_000);

  afterAll(async () => {
    await stack?.close();
    if (prefix)
      await deletePipelineTopology(AMQP_URL, prefix, {
        inbox: RETRY_DELAYS,
        push: RETRY_DELAYS,
        webhooks: RETRY_DELAYS,
        deliveries: config.WEBHOOK_RETRY_SCHEDULE_MS,
      }).catch(() => undefined);
    await dbs?.drop().catch(() => undefined);
    await Promise.all([...replicas, ...servers].map((s) => s.close()));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('migrated every shard where the topology file places it', async () => {
    const [a, b] = servers as [PostgresCluster, PostgresCluster];
    const on = async (server: PostgresCluster) =>
      (await query<{ datname: string }>(databaseUrl(server.url, 'postgres'), 'SELECT datname FROM pg_database'))
        .map((r) => r.datname)
        .filter((d) => d.startsWith(`${prefix}_`))
        .sort();
    expect(await on(a)).toEqual(
      [
        `${prefix}_chats_0`,
        `${prefix}_chats_1`,
        `${prefix}_control`,
        `${prefix}_notifications_0`,
        `${prefix}_users_0`,
      ].sort(),
    );
    expect(await on(b)).toEqual([`${prefix}_chats_2`, `${prefix}_chats_3`, `${prefix}_users_1`]);
  });

  /** Chats of Alice and Bob by chats shard (two per shard), made by the first move's test. */
  const byShard = new Map<number, string[]>();
  let alice: TestUser;
  let bob: TestUser;
  /** A member who only reads. */
  let carol: TestUser;

  /** One sequential sender per chat, alternating authors, until `stop()`. */
  const startSenders = (chatIds: string[], moving: (chatId: string) => boolean, retryUnavailable = false) => {
    const url = stack!.url('gateway');
    let stopping = false;
    const senders: Sender[] = chatIds.map((chatId) => ({
      chatId,
      moving: moving(chatId),
      sent: [],
      errors: [],
      maxLatencyMs: 0,
      retries: 0,
    }));
    const run = async (s: Sender) => {
      const base = Date.now().toString(36);
      for (let n = 0; !stopping; n++) {
        const who: TestUser = n % 2 ? bob : alice;
        const text = `m${base}-${n}`;
        const started = Date.now();
        // With `retryUnavailable` (the killed move only), a send the gateway gave up on (SERVICE_UNAVAILABLE: its
        // time limit on chats, which a fenced shard can outlast while the killed move is run again on a slow machine)
        // has an unknown outcome: it is sent again with the same clientMessageId, as the SDK does, which returns the
        // message if it did commit. Anything else, or still no answer after a few tries, is an error.
        for (let attempt = 1; ; attempt++) {
          try {
            const res = await gatewayRequest(url, who.token, SEND, { chatId: s.chatId, text, cmid: `${base}-${n}` });
            const codes = res.errors?.map((e) => e.extensions?.code) ?? [];
            if (retryUnavailable && codes.length && codes.every((c) => c === 'SERVICE_UNAVAILABLE') && attempt < 5) {
              s.retries++;
              await sleep(500);
              continue;
            }
            if (res.errors?.length)
              s.errors.push(`${text}: ${res.errors.map((e) => `${e.extensions?.code} ${e.message}`).join('; ')}`);
            else s.sent.push(text);
          } catch (err) {
            s.errors.push(`${text}: ${(err as Error).message}`);
          }
          break;
        }
        s.maxLatencyMs = Math.max(s.maxLatencyMs, Date.now() - started);
        await sleep(40);
      }
    };
    const running = senders.map(run);
    return {
      senders,
      async stop(): Promise<Sender[]> {
        stopping = true;
        await Promise.all(running);
        return senders;
      },
    };
  };

  /** Every message of a chat, read through the gateway, oldest first. */
  const history = async (chatId: string, reader: TestUser = alice) => {
    const texts: string[] = [];
    const seqs: number[] = [];
    let after: string | null = null;
    for (;;) {
      const res: GraphQLResponse<{
        chat: {
          messages: {
            nodes: Array<{ seq: number; text: string }>;
            pageInfo: { hasNextPage: boolean; endCursor: string | null };
          };
        };
      }> = await gatewayRequest(stack!.url('gateway'), reader.token, HISTORY, { chatId, after });
      expect(res.errors).toBeUndefined();
      const page = res.data!.chat.messages;
      for (const m of page.nodes) {
        texts.push(m.text);
        seqs.push(m.seq);
      }
      if (!page.pageInfo.hasNextPage) return { texts, seqs };
      after = page.pageInfo.endCursor;
    }
  };

  /** Runs `npm run shards:move`'s script; `killWhen` kills it (SIGKILL) at the first output line matching it. */
  const runMove = (args: string[], killWhen?: RegExp) =>
    new Promise<{ report: ShardMoveReport | null; output: string }>((resolve, reject) => {
      let output = '';
      const child = spawn(
        process.execPath,
        [path.join(repoRoot, 'prisma/dist/src/cli/moveShard.js'), ...args, '--drop-source-after-ms', '500'],
        {
          env: { ...process.env, ...ProcessStack.envFor(config), LOG_LEVEL: 'silent' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (killWhen && killWhen.test(output)) child.kill('SIGKILL');
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (signal === 'SIGKILL' && killWhen) return resolve({ report: null, output });
        if (code !== 0) return reject(new Error(`shards:move exited with ${code ?? signal}:\n${output}`));
        const last = output.trim().split('\n').at(-1)!;
        resolve({ report: JSON.parse(last) as ShardMoveReport, output });
      });
    });

  /** Every sender's history is exactly what it sent, once, in order; no send failed. */
  const expectExactHistories = async (senders: Sender[]) => {
    if (senders.some((s) => s.errors.length)) console.log(tail(stack!.processes.get('chats')!, 40));
    expect(senders.flatMap((s) => s.errors)).toEqual([]);
    for (const s of senders) {
      const mine = (texts: string[]) => texts.filter((t) => t.startsWith(s.sent[0]!.replace(/-\d+$/, '-')));
      // Alice wrote half of them: read-your-writes gives her every one at once, wherever the read runs.
      const { texts, seqs } = await history(s.chatId);
      expect(mine(texts)).toEqual(s.sent);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(s.sent.length).toBeGreaterThan(10);
      // Carol never wrote: her reads may run on a replica within its lag bound, and converge on the same history.
      let seen: string[] = [];
      await waitUntil('Carol reads the whole history', async () => {
        seen = mine((await history(s.chatId, carol)).texts);
        return seen.length >= s.sent.length;
      });
      expect(seen).toEqual(s.sent);
    }
  };

  it('moves chats 1024-2047 to a third server while every chat takes messages: none lost, doubled or reordered, no errors', async () => {
    const url = stack!.url('gateway');
    alice = await signUp(url, 'Alice');
    bob = await signUp(url, 'Bob');
    carol = await signUp(url, 'Carol');
    // Group chats until every chats shard holds two (a group chat's logical shard is random).
    for (let i = 0; i < 80 && [0, 1, 2, 3].some((s) => (byShard.get(s)?.length ?? 0) < 2); i++) {
      const res = await gatewayRequest<{ createGroupChat: { id: string } }>(
        url,
        alice.token,
        'mutation($m: [ID!]!) { createGroupChat(title: "load", memberIds: $m) { id } }',
        { m: [bob.id, carol.id] },
      );
      const id = res.data!.createGroupChat.id;
      const shard = dbs!.chats.map.shardFor(BigInt(id)).index;
      const list = byShard.get(shard) ?? [];
      if (list.length < 2) byShard.set(shard, [...list, id]);
    }
    expect([...byShard.keys()].sort()).toEqual([0, 1, 2, 3]);

    // Everyone sends throughout (a send also writes each member's chat list row, on the members' shards).
    const load = startSenders([...byShard.values()].flat(), (id) => byShard.get(1)!.includes(id));
    await sleep(1500);
    const moved = runMove(['--service', 'chats', '--range', `${MOVING.from}-${MOVING.to}`, '--to', servers[2]!.url]);
    const { report, output } = await moved.finally(() => sleep(1500));
    const senders = await load.stop();

    const moving = senders.filter((s) => s.moving);
    const others = senders.filter((s) => !s.moving);
    console.log(
      `shards:move ${JSON.stringify(report)}\n` +
        `sends: ${senders.reduce((n, s) => n + s.sent.length, 0)}; slowest send to a chat on the moving range ` +
        `${Math.max(...moving.map((s) => s.maxLatencyMs))} ms, elsewhere ${Math.max(...others.map((s) => s.maxLatencyMs))} ms\n` +
        output,
    );
    expect(report).toMatchObject({ service: 'chats', database: `${prefix}_chats_1`, resumed: false });
    expect(report!.writePauseMs).toBeGreaterThan(0);
    expect(output).toMatch(/fenced: (\d+)\/\1 processes/);
    await expectExactHistories(senders);
    // The history pages of chats on the first two servers were read on their replicas (Bob had not written there
    // lately, Alice's own writes pinned hers to the primary where needed): the chats service counts replica reads.
    const metrics = await (await fetch(stack!.adminUrl('chats', '/metrics'))).text();
    const replicaReads = [...metrics.matchAll(/^db_replica_statements_total\{[^}]*\} (\d+)/gm)].map((m) =>
      Number(m[1]),
    );
    expect(replicaReads.reduce((n, x) => n + x, 0)).toBeGreaterThan(0);

    // The moved shard lives on the third server now (messages sent after the move included); the old copy is gone.
    const [a, , c] = servers as [PostgresCluster, PostgresCluster, PostgresCluster];
    const topology = await new TopologyStore(a.url, prefix).latest();
    expect(topology!.version).toBe(report!.version);
    expect(topology!.placementOf('chats', 1).url).toBe(c.url);
    for (const s of moving) {
      const rows = await query<{ n: number }>(
        databaseUrl(c.url, `${prefix}_chats_1`),
        'SELECT count(*)::int AS n FROM messages WHERE chat_id = $1',
        [s.chatId],
      );
      expect(rows[0]!.n).toBe(s.sent.length);
    }
    // The notifier's relay followed the shard: every event of every shard — those written on the new server after
    // the move included, which order after the copied ones — was published to RabbitMQ.
    let events = 0;
    for (const { shard, placement } of topology!.shards().filter((s) => s.service === 'chats')) {
      const rows = await query<{ n: number }>(
        databaseUrl(placement.url, shard.database),
        'SELECT count(*)::int AS n FROM chat_events',
      );
      events += rows[0]!.n;
    }
    await waitUntil(`the relays published all ${events} events`, async () => (await relayed()) >= events, 30_000);
    const onA = await query<{ datname: string }>(
      databaseUrl(a.url, 'postgres'),
      'SELECT datname FROM pg_database WHERE datname = $1',
      [`${prefix}_chats_1`],
    );
    expect(onA).toEqual([]);
  }, 240_000);

  it('resumes a move killed while the shard was fenced: running the command again finishes it, nothing lost', async () => {
    // chats 2048-3071 from pg-b to pg-a (by name); the first run is killed right after it fenced the shard.
    const load = startSenders(byShard.get(2)!, () => true, true);
    await sleep(1000);
    const args = ['--service', 'chats', '--range', '2048-3071', '--to', 'pg-a'];
    const killed = await runMove(args, /fenced: /);
    expect(killed.report).toBeNull();
    const resumed = await runMove(args);
    await sleep(1000);
    const senders = await load.stop();
    console.log(
      `killed run:\n${killed.output}\nresumed run:\n${resumed.output}\n` +
        `sends retried after SERVICE_UNAVAILABLE: ${senders.reduce((n, x) => n + x.retries, 0)}`,
    );
    expect(resumed.output).toMatch(/resuming the move of .*_chats_2 to pg-a at step "fence"/);
    expect(resumed.report).toMatchObject({ database: `${prefix}_chats_2`, to: 'pg-a', resumed: true });
    await expectExactHistories(senders);
    const topology = await new TopologyStore(servers[0]!.url, prefix).latest();
    expect(topology!.placementOf('chats', 2).server).toBe('pg-a');
  }, 240_000);

  const relayed = async () => {
    const res = await fetch(`http://127.0.0.1:${stack!.processes.get('notifier')!.port}/stats`);
    const stats = (await res.json()) as { relays: Array<{ published: number }> };
    return stats.relays.reduce((n, r) => n + r.published, 0);
  };
});
