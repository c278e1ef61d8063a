import { Client } from 'pg';
import { SUBGRAPHS } from '@chatgraph/manifest';
import { databaseUrl } from '@chatgraph/db';
import {
  createTestDatabases,
  HaproxyProcess,
  LOAD_RATE_LIMITS,
  PostgresCluster,
  ProcessStack,
  RedisServer,
  tail,
  TcpProxy,
  testConfig,
  type TestDatabases,
} from '@chatgraph/testing';

/** The gateways behind HAProxy. */
export const GATEWAYS = ['gatewayA', 'gatewayB'] as const;
/** Processes of each subgraph. */
export const REPLICAS = 2;

/**
 * Everything a chaos run breaks, all of its own: a redis-server reached only through a TCP proxy that can freeze, a
 * throwaway PostgreSQL cluster (two users and two chats shards), two processes of every subgraph, two gateways
 * balancing over them, and real HAProxy in front of the gateways. The notification pipeline (notifier, RabbitMQ) is
 * not part of it: chat events reach clients through the gateways, Redis and the chats log only.
 */
export class ChaosStack {
  /** Each process's port, kept so that a killed process comes back where clients and balancers look for it. */
  private readonly ports = new Map<string, number>();
  /** What the processes did when stopped and started (how long it took, exit codes), in order. */
  readonly notes: string[] = [];
  /** Processes that misbehaved (a non-zero exit after SIGTERM). */
  readonly problems: string[] = [];

  private constructor(
    readonly redis: RedisServer,
    /** What every process uses as Redis. */
    readonly redisProxy: TcpProxy,
    readonly postgres: PostgresCluster,
    readonly config: ReturnType<typeof testConfig>,
    readonly dbs: TestDatabases,
    readonly processes: ProcessStack,
    readonly haproxy: HaproxyProcess,
  ) {
    for (const [name, proc] of processes.processes) this.ports.set(name, proc.port);
  }

  static async start(): Promise<ChaosStack> {
    const redis = await RedisServer.start();
    const redisProxy = await TcpProxy.start(redis.port);
    const postgres = await PostgresCluster.start();
    const config = testConfig({
      DATABASE_URL: postgres.url,
      REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`,
      USERS_SHARDS: '2',
      CHATS_SHARDS: '2',
    });
    const dbs = await createTestDatabases(config);
    const processes = new ProcessStack(
      ProcessStack.envFor(config, {
        ...LOAD_RATE_LIMITS,
        // The crowd shares a few users; every client is one socket.
        SUBSCRIPTIONS_PER_USER: '5000',
        PASSWORD_HASH_COST: '10',
      }),
    );
    await processes.startSubgraphs({}, { replicas: REPLICAS });
    const gateways = await Promise.all(GATEWAYS.map((name) => processes.start(name, 'gateway')));
    const haproxy = await HaproxyProcess.start(gateways.map((g) => g.port));
    return new ChaosStack(redis, redisProxy, postgres, config, dbs, processes, haproxy);
  }

  /** The replicas of a subgraph (`chats`, `chats-2`). */
  replicasOf(subgraph: (typeof SUBGRAPHS)[number]['name']): string[] {
    return Array.from({ length: REPLICAS }, (_, k) => ProcessStack.replicaName(subgraph, k));
  }

  /** Kills a process (SIGKILL): a crash. */
  async kill(name: string): Promise<void> {
    await this.processes.kill(name);
  }

  /**
   * Stops a process with SIGTERM (a deploy), waiting for it to exit. A process that does not exit 0 (it hung past its
   * grace period, or failed while closing) is recorded in {@link problems} with its last output.
   */
  async terminate(name: string): Promise<void> {
    const proc = this.processes.processes.get(name);
    const started = Date.now();
    const code = await this.processes.stop(name, 'SIGTERM');
    this.notes.push(`${name} stopped by SIGTERM in ${Date.now() - started} ms (exit code ${code})`);
    if (code !== 0) {
      this.problems.push(`${name} exited with ${code} after SIGTERM:\n${proc ? tail(proc, 20) : ''}`);
    }
  }

  /** Starts a stopped process again on its port; resolves once it answers its health path. */
  async restart(name: string): Promise<void> {
    const kind = name.startsWith('gateway') ? 'gateway' : name.replace(/-\d+$/, '');
    const started = Date.now();
    await this.processes.start(name, kind, this.ports.get(name));
    this.notes.push(`${name} started again in ${Date.now() - started} ms`);
  }

  /** The last lines each gateway wrote, for a failure message. */
  gatewayOutput(lines = 15): string {
    return GATEWAYS.map((name) => {
      const proc = this.processes.processes.get(name);
      return `--- ${name}${proc ? `:\n${tail(proc, lines)}` : ' (not running)'}`;
    }).join('\n');
  }

  /** Runs SQL on the cluster's `postgres` database (a new connection: the server may have restarted). */
  async admin(sql: string, params: unknown[] = []): Promise<void> {
    const client = new Client({ connectionString: databaseUrl(this.config.DATABASE_URL, 'postgres') });
    await client.connect();
    try {
      await client.query(sql, params);
    } finally {
      await client.end();
    }
  }

  /** The chats shard (index) holding a chat. */
  chatsShardOf(chatId: string): number {
    return this.dbs.chats.map.shardFor(BigInt(chatId)).index;
  }

  async close(): Promise<void> {
    await this.haproxy?.close();
    await this.processes?.close();
    await this.dbs?.drop().catch(() => undefined);
    await this.redisProxy?.close();
    await this.redis?.close();
    await this.postgres?.close();
  }
}
