import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import type { Config } from '@chatgraph/config';
import { databaseUrl, SHARDED_SERVICES, shardMapFor } from '@chatgraph/db';
import { SUBGRAPHS, type ServiceName } from '@chatgraph/manifest';
import {
  createTestDatabases,
  deletePipelineTopology,
  LOAD_RATE_LIMITS,
  ProcessStack,
  RedisServer,
  tail,
  testConfig,
  type StackProcess,
  type TestDatabases,
} from '@chatgraph/testing';
import { BENCH_DIST } from './paths';
import { pinTo } from './pinning';

/**
 * The gateways the benchmarks compare: ours, ours with its entity cache off (what the cache is worth) and with shared
 * fetches off (what sharing identical fetches in flight is worth), and the peers (Hive Gateway also with its response
 * cache on: the ecosystem's answer to our entity cache).
 */
export type GatewayKind =
  'chatgraph' | 'chatgraph-uncached' | 'chatgraph-unshared' | 'apollo' | 'hive' | 'hive-cached' | 'floor';

/**
 * `BENCH_CPU_PROFILE_DIR`: our processes (subgraphs, our gateways, notifiers) run under `node --cpu-prof` and write a whole-life
 * CPU profile there when they stop, for looking at a scenario's cost split by hand (`--profile` profiles only the
 * windows it measures, and only the gateway).
 */
const profileFlags = (): string[] => {
  const dir = process.env.BENCH_CPU_PROFILE_DIR;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(dir)}`] : [];
};

/** Our gateway, whatever its settings. */
const isOurs = (kind: GatewayKind) => kind.startsWith('chatgraph');

/** Each gateway's script: ours with the bench's IPC probes, and the peers. */
const GATEWAY_SCRIPT: Record<GatewayKind, string> = {
  chatgraph: path.join(BENCH_DIST, 'procs/chatgraphGateway.js'),
  'chatgraph-uncached': path.join(BENCH_DIST, 'procs/chatgraphGateway.js'),
  'chatgraph-unshared': path.join(BENCH_DIST, 'procs/chatgraphGateway.js'),
  apollo: path.join(BENCH_DIST, 'procs/apolloGateway.js'),
  hive: path.join(BENCH_DIST, 'procs/hiveGateway.js'),
  'hive-cached': path.join(BENCH_DIST, 'procs/hiveGateway.js'),
  floor: path.join(BENCH_DIST, 'procs/floorGateway.js'),
};

/** What a kind sets in its process's environment (the caller's `env` comes on top). */
const GATEWAY_ENV: Partial<Record<GatewayKind, Record<string, string>>> = {
  'chatgraph-uncached': { ENTITY_CACHE_MAX: '0' },
  // Every fetch its own subgraph request: what sharing identical fetches in flight saves, in this scenario's load.
  'chatgraph-unshared': { SUBGRAPH_FETCH_SHARING: 'false' },
  // Its response cache, with our entity cache's TTL (ENTITY_CACHE_TTL_MS of the run's configuration).
  'hive-cached': { BENCH_HIVE_RESPONSE_CACHE: '1' },
};

/**
 * Which CPU runs what (2 cores): the gateways under test get CPU 1 to themselves; the load generators and the subgraphs
 * share CPU 0. Redis (private) and PostgreSQL (the machine's shared server) are not pinned.
 */
export const CPU = { sut: 1, load: 0 } as const;

/** A started gateway. */
export interface RunningGateway {
  kind: GatewayKind;
  name: string;
  process: StackProcess;
  url: string;
  wsUrl: string;
}

/** Options of {@link BenchStack.start}. */
export interface BenchStackOptions {
  usersShards?: number;
  chatsShards?: number;
}

/**
 * Everything a benchmark run needs, all its own: a private Redis, throwaway migrated shard databases, the subgraph
 * processes and gateways on demand, all started and stopped by the test harness's {@link ProcessStack} (which also
 * starts the load generators). `close()` stops and drops all of it.
 */
export class BenchStack {
  readonly gateways: RunningGateway[] = [];

  private constructor(
    /** The run's configuration; its subgraph URLs are where the subgraph processes listen. */
    readonly config: Config,
    readonly redis: RedisServer,
    readonly dbs: TestDatabases,
    readonly processes: ProcessStack,
    /** The broker the notifiers use (the machine's shared one) and the prefix of this run's exchanges and queues. */
    readonly amqp: { url: string; prefix: string },
  ) {}

  /** Starts Redis, creates the databases and starts the subgraphs (pinned to {@link CPU.load}). */
  static async start(options: BenchStackOptions = {}): Promise<BenchStack> {
    const redis = await RedisServer.start();
    const config = testConfig({
      REDIS_URL: redis.url,
      USERS_SHARDS: String(options.usersShards ?? 2),
      CHATS_SHARDS: String(options.chatsShards ?? 4),
      DB_POOL_SIZE: '10',
      // Production mode everywhere (as deployed), which refuses the development secrets.
      JWT_SECRET: randomBytes(32).toString('hex'),
      GATEWAY_IDENTITY_SECRET: randomBytes(32).toString('hex'),
      ...LOAD_RATE_LIMITS,
    });
    const amqp = { url: config.AMQP_URL, prefix: `bench${randomBytes(4).toString('hex')}` };
    let dbs: TestDatabases | undefined;
    const processes = new ProcessStack({
      ...ProcessStack.envFor(config),
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      // Seeding signs up hundreds of users; scrypt at the default cost would dominate the setup time. No measured
      // path hashes a password.
      PASSWORD_HASH_COST: '10',
      INTROSPECTION: 'false',
      ...LOAD_RATE_LIMITS,
      AMQP_URL: amqp.url,
      AMQP_PREFIX: amqp.prefix,
      // The pipeline scenario's webhook receiver listens on 127.0.0.1, which production refuses unless opened.
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    });
    try {
      // The bench's own clients (data layer scenario) need at most 8 connections per shard; the server allows 100 in
      // all, shared with the subgraph processes (10 per shard each) and whatever else runs on the machine.
      dbs = await createTestDatabases({ ...config, DB_POOL_SIZE: 8 });
      await processes.startSubgraphs({}, { wrapper: pinTo(CPU.load), nodeFlags: profileFlags() });
      const urls = Object.fromEntries(SUBGRAPHS.map((s) => [s.graphql.urlKey, processes.url(s.name)]));
      return new BenchStack({ ...config, ...urls }, redis, dbs, processes, amqp);
    } catch (err) {
      await processes.close();
      await dbs?.drop().catch(() => undefined);
      await redis.close();
      throw err;
    }
  }

  /** The subgraph processes, by name (their CPU time is part of what a request costs). */
  get subgraphs(): Map<string, StackProcess> {
    return new Map(SUBGRAPHS.map((s) => [s.name, this.processes.processes.get(s.name)!]));
  }

  /** URL of a subgraph's /graphql. */
  subgraphUrl(name: ServiceName): string {
    return this.processes.url(name);
  }

  /**
   * Starts a gateway of `kind` (pinned to {@link CPU.sut} unless told otherwise) and waits until it answers a query.
   */
  async startGateway(
    kind: GatewayKind,
    name: string = kind,
    options: { nodeFlags?: string[]; env?: Record<string, string>; cpu?: number | null } = {},
  ): Promise<RunningGateway> {
    const env = GATEWAY_ENV[kind] ? { ...GATEWAY_ENV[kind], ...options.env } : options.env;
    const proc = await this.processes.start(name, 'gateway', undefined, env, {
      script: GATEWAY_SCRIPT[kind],
      nodeFlags: [...(isOurs(kind) ? ['--expose-gc', ...profileFlags()] : []), ...(options.nodeFlags ?? [])],
      wrapper: pinTo(options.cpu === undefined ? CPU.sut : options.cpu),
      // The peers have no health path; they listen once their gateway is built.
      readyWhen: isOurs(kind) ? 'health' : 'listening',
      readyTimeoutMs: 60_000,
    });
    const url = this.processes.url(name);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ __typename }"}',
    }).catch((err: Error) => ({ ok: false, status: err.message }));
    if (!res.ok) {
      await this.processes.stop(name);
      throw new Error(`${name} does not answer { __typename } (${res.status}):\n${tail(proc)}`);
    }
    const gateway: RunningGateway = { kind, name, process: proc, url, wsUrl: this.processes.wsUrl(name) };
    this.gateways.push(gateway);
    return gateway;
  }

  /** Stops one gateway. */
  async stopGateway(gateway: RunningGateway): Promise<void> {
    await this.processes.stop(gateway.name, 'SIGTERM', 10_000);
    this.gateways.splice(this.gateways.indexOf(gateway), 1);
  }

  /**
   * Starts a notifier worker named `name` (every role, unless `env` says `NOTIFIER_ROLES`), not pinned, and waits until
   * it is connected to RabbitMQ.
   */
  async startNotifier(name: string, env: Record<string, string> = {}): Promise<StackProcess> {
    const proc = await this.processes.start(name, 'notifier', undefined, env, { nodeFlags: profileFlags() });
    const deadline = Date.now() + 30_000;
    while (!(await notifierStats(proc).catch(() => null))?.amqpConnected) {
      if (Date.now() > deadline) throw new Error(`${name} did not connect to RabbitMQ:\n${tail(proc)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return proc;
  }

  /** Stops every process, drops the databases, deletes the run's RabbitMQ objects, stops Redis. */
  async close(): Promise<void> {
    // Gateways first, so they drain against live subgraphs.
    await Promise.all(this.gateways.splice(0).map((g) => this.processes.stop(g.name, 'SIGTERM', 10_000)));
    await this.processes.close();
    await this.dbs.drop().catch(() => undefined);
    const retries = this.config.NOTIFIER_RETRY_DELAYS_MS;
    await deletePipelineTopology(this.amqp.url, this.amqp.prefix, {
      inbox: retries,
      push: retries,
      webhooks: retries,
      deliveries: this.config.WEBHOOK_RETRY_SCHEDULE_MS,
    }).catch(() => undefined);
    await this.redis.close();
  }
}

/** What a notifier's admin port reports: its RabbitMQ connection and, per queue it consumes, messages handled. */
export interface NotifierStats {
  amqpConnected: boolean;
  /**
   * Per chats shard: events its relay published (while this process held the shard), reads of the event log, and of
   * those the reads that found committed events held back behind an open transaction.
   */
  relays: Array<{ shard: string; published: number; reads: number; heldBackReads: number }>;
  consumers: Record<string, { handled: number; retried: number; deadLettered: number; inFlight: number }>;
}

/** Reads a notifier's counters (its one port is its admin port). */
export async function notifierStats(proc: StackProcess): Promise<NotifierStats> {
  const res = await fetch(`http://127.0.0.1:${proc.port}/stats`);
  return (await res.json()) as NotifierStats;
}

/**
 * Waits until a notifier has nothing left to do: its relays' published count and its consumers' handled count stayed
 * the same for a second, with nothing in flight (at most `timeoutMs`). Returns those counts.
 */
export async function untilNotifierSettled(
  notifier: StackProcess,
  timeoutMs = 180_000,
): Promise<{ published: number; handled: number }> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  let stableSince = Date.now();
  for (;;) {
    const stats = await notifierStats(notifier);
    const published = stats.relays.reduce((n, r) => n + r.published, 0);
    const consumers = Object.values(stats.consumers);
    const handled = consumers.reduce((n, c) => n + c.handled, 0);
    const busy = consumers.some((c) => c.inFlight > 0);
    const now = `${published}/${handled}`;
    if (now !== last || busy) {
      last = now;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= 1000) return { published, handled };
    if (Date.now() > deadline) throw new Error(`the notifier was still busy after ${timeoutMs} ms (${now})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Leaves the run's databases as a running service's autovacuum and checkpointer would: every shard vacuumed and
 * analyzed, then one checkpoint. A scenario that follows a burst of writes (the notification pipeline's catch-up with
 * the events of every scenario before it: hundreds of thousands of rows) would otherwise measure the server cleaning
 * up after that burst (autovacuum workers, a checkpoint and the full-page images after it) rather than its own load.
 * Returns how long it took.
 */
export async function settleDatabases(config: Config): Promise<number> {
  const started = Date.now();
  for (const service of SHARDED_SERVICES) {
    for (const shard of shardMapFor(config, service).shards) {
      const client = new Client({ connectionString: databaseUrl(config.DATABASE_URL, shard.database) });
      await client.connect();
      try {
        await client.query('VACUUM (ANALYZE)');
      } finally {
        await client.end();
      }
    }
  }
  const admin = new Client({ connectionString: databaseUrl(config.DATABASE_URL, 'postgres') });
  await admin.connect();
  try {
    await admin.query('CHECKPOINT');
  } finally {
    await admin.end();
  }
  return Date.now() - started;
}
