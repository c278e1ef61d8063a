import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Config } from '@chatgraph/config';
import {
  createTestDatabases,
  freePort,
  ProcessStack,
  RedisServer,
  testConfig,
  type TestDatabases,
} from '@chatgraph/testing';
import { BenchProcess } from './BenchProcess';
import { BENCH_DIST, SERVICE_ENTRY } from './paths';

/** The gateways the benchmarks compare. */
export type GatewayKind = 'chatgraph' | 'apollo' | 'hive';

const GATEWAY_SCRIPT: Record<GatewayKind, string> = {
  chatgraph: path.join(BENCH_DIST, 'procs/chatgraphGateway.js'),
  apollo: path.join(BENCH_DIST, 'procs/apolloGateway.js'),
  hive: path.join(BENCH_DIST, 'procs/hiveGateway.js'),
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
  process: BenchProcess;
  url: string;
  wsUrl: string;
}

/** Options of {@link BenchStack.start}. */
export interface BenchStackOptions {
  usersShards?: number;
  chatsShards?: number;
}

/**
 * Everything a benchmark run needs, all its own: a private Redis, throwaway migrated shard databases, the three
 * subgraph processes (built entry points) and gateways on demand. `close()` stops and drops all of it.
 */
export class BenchStack {
  readonly gateways: RunningGateway[] = [];
  readonly subgraphs = new Map<string, BenchProcess>();

  private constructor(
    readonly config: Config,
    readonly redis: RedisServer,
    readonly dbs: TestDatabases,
    readonly env: Record<string, string>,
  ) {}

  /** Starts Redis, creates the databases and starts the subgraphs. */
  static async start(options: BenchStackOptions = {}): Promise<BenchStack> {
    const redis = await RedisServer.start();
    const ports = { users: await freePort(), chats: await freePort(), presence: await freePort() };
    const config = testConfig({
      REDIS_URL: redis.url,
      USERS_SHARDS: String(options.usersShards ?? 2),
      CHATS_SHARDS: String(options.chatsShards ?? 4),
      DB_POOL_SIZE: '10',
      USERS_PORT: String(ports.users),
      CHATS_PORT: String(ports.chats),
      PRESENCE_PORT: String(ports.presence),
      // Production mode everywhere (as deployed), which refuses the development secrets.
      JWT_SECRET: randomBytes(32).toString('hex'),
      GATEWAY_IDENTITY_SECRET: randomBytes(32).toString('hex'),
    });
    let dbs: TestDatabases | undefined;
    try {
      // The bench's own clients (data layer scenario) need at most 8 connections per shard; the server allows 100 in
      // all, shared with the subgraph processes (10 per shard each) and whatever else runs on the machine.
      dbs = await createTestDatabases({ ...config, DB_POOL_SIZE: 8 });
      const env = {
        ...ProcessStack.envFor(config),
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        USERS_PORT: String(ports.users),
        CHATS_PORT: String(ports.chats),
        PRESENCE_PORT: String(ports.presence),
        // Seeding signs up hundreds of users; scrypt at the default cost would dominate the setup time. No measured
        // path hashes a password.
        PASSWORD_HASH_COST: '10',
        INTROSPECTION: 'false',
      };
      const stack = new BenchStack(config, redis, dbs, env);
      try {
        await stack.startSubgraphs(ports);
      } catch (err) {
        await Promise.all([...stack.subgraphs.values()].map((p) => p.stop()));
        throw err;
      }
      return stack;
    } catch (err) {
      await dbs?.drop().catch(() => undefined);
      await redis.close();
      throw err;
    }
  }

  private async startSubgraphs(ports: Record<'users' | 'chats' | 'presence', number>): Promise<void> {
    const env = this.env;
    await Promise.all(
      (Object.keys(SERVICE_ENTRY) as Array<keyof typeof SERVICE_ENTRY>).map(async (name) => {
        const proc = new BenchProcess({
          name,
          script: path.join(BENCH_DIST, 'procs/service.js'),
          args: [SERVICE_ENTRY[name]],
          env,
          cpu: CPU.load,
          ipc: true,
        });
        this.subgraphs.set(name, proc);
        await proc.waitUntil(async () => (await fetch(`http://127.0.0.1:${ports[name]}/health`)).ok);
      }),
    );
  }

  /** URL of a subgraph's /graphql. */
  subgraphUrl(name: 'users' | 'chats' | 'presence'): string {
    return { users: this.config.USERS_URL, chats: this.config.CHATS_URL, presence: this.config.PRESENCE_URL }[name];
  }

  /** Starts a gateway of `kind` on CPU {@link CPU.sut} and waits until it answers a query. */
  async startGateway(
    kind: GatewayKind,
    name: string = kind,
    options: { nodeFlags?: string[]; env?: Record<string, string>; cpu?: number | null } = {},
  ): Promise<RunningGateway> {
    const port = await freePort();
    const proc = new BenchProcess({
      name,
      script: GATEWAY_SCRIPT[kind],
      nodeFlags: [...(kind === 'chatgraph' ? ['--expose-gc'] : []), ...(options.nodeFlags ?? [])],
      env: { ...this.env, GATEWAY_PORT: String(port), ...options.env },
      cpu: options.cpu === undefined ? CPU.sut : options.cpu,
      ipc: true,
    });
    const url = `http://127.0.0.1:${port}/graphql`;
    await proc.waitUntil(async () => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query":"{ __typename }"}',
      });
      return res.ok;
    }, 60_000);
    const gateway: RunningGateway = { kind, name, process: proc, url, wsUrl: url.replace('http://', 'ws://') };
    this.gateways.push(gateway);
    return gateway;
  }

  /** Stops one gateway. */
  async stopGateway(gateway: RunningGateway): Promise<void> {
    await gateway.process.stop();
    this.gateways.splice(this.gateways.indexOf(gateway), 1);
  }

  /** Stops every process, drops the databases, stops Redis. */
  async close(): Promise<void> {
    await Promise.all(this.gateways.splice(0).map((g) => g.process.stop()));
    await Promise.all([...this.subgraphs.values()].map((p) => p.stop()));
    this.subgraphs.clear();
    await this.dbs.drop().catch(() => undefined);
    await this.redis.close();
  }
}
