import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Config } from '@chatgraph/config';
import { freePort } from './freePort';

/** The services a stack can run, and their entry points (built by `npm run build`). */
const ENTRY: Record<string, string> = {
  users: 'subgraphs/users/dist/index.js',
  chats: 'subgraphs/chats/dist/index.js',
  presence: 'subgraphs/presence/dist/index.js',
  gateway: 'gateway/dist/index.js',
};

const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** One running service process. */
export interface StackProcess {
  name: string;
  kind: string;
  port: number;
  child: ChildProcess;
  /** Lines the process wrote (stdout and stderr), for failure messages. */
  output: string[];
}

async function waitHealthy(port: number, child: ChildProcess, output: string[], timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`process exited with ${child.exitCode} before answering:\n${output.slice(-30).join('')}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`port ${port} not healthy after ${timeoutMs} ms:\n${output.slice(-30).join('')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Real service processes for end-to-end tests: subgraphs and gateways started from their built entry points with a
 * test's own environment (databases, Redis, ports), each on a free port. Processes can be killed and restarted.
 */
export class ProcessStack {
  readonly processes = new Map<string, StackProcess>();
  private readonly env: Record<string, string>;

  /** @param env variables for every process (DB_NAME_PREFIX, REDIS_URL, secrets...). */
  constructor(env: Record<string, string>) {
    this.env = { LOG_LEVEL: 'warn', ...env };
  }

  /** Environment matching a test config (so in-test clients and processes agree on databases and secrets). */
  static envFor(config: Config, extra: Record<string, string> = {}): Record<string, string> {
    return {
      NODE_ENV: 'test',
      DB_NAME_PREFIX: config.DB_NAME_PREFIX,
      USERS_SHARDS: String(config.USERS_SHARDS),
      CHATS_SHARDS: String(config.CHATS_SHARDS),
      DATABASE_URL: config.DATABASE_URL,
      REDIS_URL: config.REDIS_URL,
      JWT_SECRET: config.JWT_SECRET,
      GATEWAY_IDENTITY_SECRET: config.GATEWAY_IDENTITY_SECRET,
      DB_POOL_SIZE: String(config.DB_POOL_SIZE),
      ...extra,
    };
  }

  /** URL of a service's /graphql. */
  url(name: string): string {
    const p = this.processes.get(name);
    if (!p) throw new Error(`no process ${name}`);
    return `http://127.0.0.1:${p.port}/graphql`;
  }

  /** WebSocket URL of a gateway's /graphql. */
  wsUrl(name: string): string {
    return this.url(name).replace('http://', 'ws://');
  }

  /** Starts the three subgraphs (in parallel) and waits until each answers /health. */
  async startSubgraphs(extra: Record<string, string> = {}): Promise<void> {
    const ports = { users: await freePort(), chats: await freePort(), presence: await freePort() };
    this.env.USERS_PORT = String(ports.users);
    this.env.CHATS_PORT = String(ports.chats);
    this.env.PRESENCE_PORT = String(ports.presence);
    await Promise.all(Object.entries(ports).map(([kind, port]) => this.start(kind, kind, port, extra)));
  }

  /** Starts a process of `kind` (users, chats, presence, gateway) named `name`. */
  async start(name: string, kind: string, port?: number, extra: Record<string, string> = {}): Promise<StackProcess> {
    const entry = ENTRY[kind];
    if (!entry) throw new Error(`unknown service kind ${kind}`);
    const actualPort = port ?? (await freePort());
    const portVar = kind === 'gateway' ? 'GATEWAY_PORT' : `${kind.toUpperCase()}_PORT`;
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      ...this.env,
      ...extra,
      [portVar]: String(actualPort),
    };
    const output: string[] = [];
    const child = spawn(process.execPath, [path.join(repoRoot, entry)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => output.push(String(d)));
    child.stderr!.on('data', (d) => output.push(String(d)));
    const proc: StackProcess = { name, kind, port: actualPort, child, output };
    this.processes.set(name, proc);
    await waitHealthy(actualPort, child, output);
    return proc;
  }

  /** Sends `signal` to a process and waits for it to exit; resolves with its exit code. */
  async stop(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const proc = this.processes.get(name);
    if (!proc) return null;
    this.processes.delete(name);
    const { child } = proc;
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(signal);
    return exited;
  }

  /** Kills (SIGKILL) a process: a crash. */
  kill(name: string): Promise<number | null> {
    return this.stop(name, 'SIGKILL');
  }

  /** Stops every process (SIGTERM). */
  async close(): Promise<void> {
    await Promise.all([...this.processes.keys()].map((name) => this.stop(name)));
  }
}
