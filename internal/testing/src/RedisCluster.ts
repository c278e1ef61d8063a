import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePortPair } from './freePort';
import { waitUntil } from './waitUntil';

const run = promisify(execFile);

/** Offset of a cluster node's bus port (Redis derives it from the client port). */
const BUS_OFFSET = 10000;

/** One `redis-server` of a {@link RedisCluster}. */
/** Starts of one node before giving up, each on another port when the last was taken. */
const START_ATTEMPTS = 5;

interface ClusterProcess {
  port: number;
  child: ChildProcess | undefined;
}

/** One line of `CLUSTER NODES`. */
interface NodeLine {
  id: string;
  port: number;
  flags: string[];
  masterId: string;
  slots: string[];
}

/** Options of {@link RedisCluster.start}. */
export interface RedisClusterOptions {
  /** Masters (each gets one replica). @default 3 */
  masters?: number;
  /** `cluster-node-timeout`: how long a master must be unreachable before its replica takes over. @default 1000 */
  nodeTimeoutMs?: number;
}

/**
 * A throwaway Redis Cluster for tests: `redis-server` processes in cluster mode on free ports in a temporary folder,
 * without persistence (3 masters and 3 replicas by default), formed with `redis-cli --cluster create`. Ready once
 * every node says `cluster_state:ok`. A master can be failed over (killed like a crash, or handed over by its
 * replica with `CLUSTER FAILOVER`); {@link close} stops everything and removes the folder. Never the machine's
 * shared Redis.
 */
export class RedisCluster {
  /** Kills the servers when the test process exits without closing the cluster (a test that timed out). */
  private readonly onExit = () => {
    for (const p of this.processes) p.child?.kill('SIGKILL');
    fs.rmSync(this.dir, { recursive: true, force: true });
  };

  private constructor(
    private readonly processes: ClusterProcess[],
    private readonly dir: string,
    private readonly nodeTimeoutMs: number,
  ) {
    process.once('exit', this.onExit);
  }

  /** Starts the servers, forms the cluster and waits until it serves every slot. */
  static async start(options: RedisClusterOptions = {}): Promise<RedisCluster> {
    const masters = options.masters ?? 3;
    const nodeTimeoutMs = options.nodeTimeoutMs ?? 1000;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-redis-cluster-'));
    const ports: number[] = [];
    while (ports.length < masters * 2) {
      const port = await freePortPair(BUS_OFFSET);
      if (!ports.includes(port)) ports.push(port);
    }
    const cluster = new RedisCluster(
      ports.map((port) => ({ port, child: undefined })),
      dir,
      nodeTimeoutMs,
    );
    try {
      await Promise.all(cluster.processes.map((p) => cluster.startProcess(p)));
      await run('redis-cli', [
        '--cluster',
        'create',
        // Where the nodes listen now: a node whose port was taken meanwhile moved to another (see startProcess).
        ...cluster.processes.map((p) => `127.0.0.1:${p.port}`),
        '--cluster-replicas',
        '1',
        '--cluster-yes',
      ]);
      await cluster.waitHealthy();
    } catch (err) {
      await cluster.close();
      throw err;
    }
    return cluster;
  }

  /** `host:port` of every node, comma-separated: the value of `REDIS_CLUSTER_NODES`. */
  get seeds(): string {
    return this.processes.map((p) => `127.0.0.1:${p.port}`).join(',');
  }

  /** Ports of the nodes that are running. */
  get livePorts(): number[] {
    return this.processes.filter((p) => p.child && p.child.exitCode === null).map((p) => p.port);
  }

  /**
   * Starts the node of `p` and waits until it answers. A free port is only free until someone binds it: when another
   * test's process took it (or its cluster bus port) between the choice and this start, redis-server exits at once, and
   * the node moves to another free pair (the cluster is not formed yet), up to {@link START_ATTEMPTS} times.
   */
  private async startProcess(p: ClusterProcess): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const child = this.spawnNode(p.port);
      p.child = child;
      const exited = () => child.exitCode !== null || child.signalCode !== null;
      try {
        await waitUntil(
          `redis-server on port ${p.port} answers`,
          async () => {
            if (exited()) throw new Error(`redis-server on port ${p.port} exited (code ${child.exitCode})`);
            return (await this.cli(p.port, 'PING').catch(() => '')) === 'PONG';
          },
          10_000,
        );
        return;
      } catch (err) {
        if (!exited() || attempt >= START_ATTEMPTS) throw err;
        const taken = new Set(this.processes.map((q) => q.port));
        let port = await freePortPair(BUS_OFFSET);
        while (taken.has(port)) port = await freePortPair(BUS_OFFSET);
        p.port = port;
      }
    }
  }

  private spawnNode(port: number): ChildProcess {
    return spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        String(this.nodeTimeoutMs),
        // A replica syncs at once (not after the default 5 s), and may always take over, however long it was cut off.
        '--repl-diskless-sync-delay',
        '0',
        '--cluster-replica-validity-factor',
        '0',
        '--appendonly',
        'no',
        '--save',
        '',
        '--dir',
        this.dir,
      ],
      { stdio: 'ignore' },
    );
  }

  /** Runs one command on the node at `port` with redis-cli; its reply as text. */
  async cli(port: number, ...args: string[]): Promise<string> {
    const { stdout } = await run('redis-cli', ['-p', String(port), ...args], { timeout: 5000 });
    return stdout.trim();
  }

  private async nodes(port: number): Promise<NodeLine[]> {
    const text = await this.cli(port, 'CLUSTER', 'NODES');
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        const [id, address, flags, masterId, , , , , ...slots] = line.trim().split(' ');
        return {
          id: id!,
          port: Number(address!.split('@')[0]!.split(':').at(-1)),
          flags: flags!.split(','),
          masterId: masterId!,
          slots,
        };
      });
  }

  /** Ports of the masters that serve slots, as a live node sees them. */
  async masters(): Promise<number[]> {
    const nodes = await this.nodes(this.livePorts[0]!);
    return nodes
      .filter((n) => n.flags.includes('master') && !n.flags.includes('fail') && n.slots.length > 0)
      .map((n) => n.port)
      .sort((a, b) => a - b);
  }

  /** The port of the master serving the hash slot of `key` (or of a shard channel). */
  async masterOf(key: string): Promise<number> {
    const port = this.livePorts[0]!;
    const slot = Number(await this.cli(port, 'CLUSTER', 'KEYSLOT', key));
    const nodes = await this.nodes(port);
    const owner = nodes.find(
      (n) =>
        n.flags.includes('master') &&
        !n.flags.includes('fail') &&
        n.slots.some((range) => {
          if (range.startsWith('[')) return false; // a slot being migrated
          const [from, to] = range.split('-').map(Number);
          return slot >= from! && slot <= (to ?? from)!;
        }),
    );
    if (!owner) throw new Error(`no master serves slot ${slot}`);
    return owner.port;
  }

  /**
   * Fails over the master at `port`: `kill` (default) kills it with SIGKILL, like a crash, and its replica takes over
   * once the others agree it is gone (`cluster-node-timeout`); `handover` asks the replica to take over
   * (`CLUSTER FAILOVER`, the old master becomes its replica). Resolves with the port of the new master, once the
   * cluster serves every slot again.
   */
  async failover(port: number, how: 'kill' | 'handover' = 'kill'): Promise<number> {
    const before = await this.nodes(port);
    const master = before.find((n) => n.port === port && n.flags.includes('myself'));
    if (!master || !master.flags.includes('master')) throw new Error(`node ${port} is not a master`);
    const replicas = before.filter((n) => n.masterId === master.id).map((n) => n.port);
    if (replicas.length === 0) throw new Error(`master ${port} has no replica`);
    if (how === 'kill') {
      const p = this.processes.find((x) => x.port === port)!;
      const child = p.child!;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      p.child = undefined;
    } else {
      await this.cli(replicas[0]!, 'CLUSTER', 'FAILOVER');
    }
    let promoted = 0;
    await waitUntil(
      `a replica of ${port} took over`,
      async () => {
        for (const replica of replicas) {
          const self = (await this.nodes(replica).catch(() => [])).find((n) => n.flags.includes('myself'));
          if (self?.flags.includes('master') && self.slots.length > 0) {
            promoted = replica;
            return true;
          }
        }
        return false;
      },
      30_000,
    );
    await this.waitHealthy();
    return promoted;
  }

  /**
   * Waits until every running node says `cluster_state:ok` and sees every slot served by a master that is up, and
   * every running replica is in sync with its master.
   */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    await waitUntil(
      'the redis cluster serves every slot',
      async () => {
        for (const port of this.livePorts) {
          const info = await this.cli(port, 'CLUSTER', 'INFO').catch(() => '');
          if (!info.includes('cluster_state:ok')) return false;
          const nodes = await this.nodes(port).catch(() => []);
          const served = nodes
            .filter((n) => n.flags.includes('master') && !n.flags.some((f) => f === 'fail' || f === 'fail?'))
            .flatMap((n) => n.slots)
            .filter((range) => !range.startsWith('['))
            .reduce((sum, range) => {
              const [from, to] = range.split('-').map(Number);
              return sum + (to ?? from!) - from! + 1;
            }, 0);
          if (served !== 16384) return false;
          const self = nodes.find((n) => n.flags.includes('myself'));
          if (self?.flags.includes('slave')) {
            const replication = await this.cli(port, 'INFO', 'replication').catch(() => '');
            const master = nodes.find((n) => n.id === self.masterId);
            const masterUp = master && !master.flags.some((f) => f === 'fail' || f === 'fail?');
            if (masterUp && !replication.includes('master_link_status:up')) return false;
          }
        }
        return true;
      },
      timeoutMs,
    );
  }

  /** Stops every server (SIGKILL) and removes the folder. */
  async close(): Promise<void> {
    process.off('exit', this.onExit);
    await Promise.all(
      this.processes.map(async (p) => {
        const child = p.child;
        p.child = undefined;
        if (!child || child.exitCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }),
    );
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
