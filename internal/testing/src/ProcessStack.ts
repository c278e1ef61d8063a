import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import waitOn from 'wait-on';
import type { Config } from '@chatgraph/config';
import { nodeOptionsFor, serviceNamed, SUBGRAPHS, type SubgraphSpec } from '@chatgraph/manifest';
import { freePort } from './freePort';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
/** Output chunks kept per process, for failure messages (a long bench run must not grow without bound). */
const KEPT_CHUNKS = 200;

/** One running process. */
export interface StackProcess {
  name: string;
  /** The manifest service it runs (`users`, `gateway`, ...), or its name for a process of a script of its own. */
  kind: string;
  /** The port it listens on (0: none). */
  port: number;
  /** The port of its admin server (/health, /ready, /metrics, /stats; 0: none). */
  adminPort: number;
  child: ChildProcess;
  /** The last chunks the process wrote (stdout and stderr), for failure messages. */
  output: string[];
}

/** Any node script as a process of the stack (see {@link ProcessStack.spawn}). */
export interface ProcessSpec {
  name: string;
  /** @default name */
  kind?: string;
  /** Absolute path of the script node runs. */
  script: string;
  args?: string[];
  /** Flags for node itself (`--expose-gc`, ...). */
  nodeFlags?: string[];
  /** Added to the stack's environment. */
  env?: Record<string, string>;
  /** The port it listens on. @default 0 (none) */
  port?: number;
  /** The port its admin server listens on. @default 0 (none) */
  adminPort?: number;
  /**
   * A wait-on resource that answers once the process is up (`http-get://127.0.0.1:4001/health`, `tcp:127.0.0.1:4001`).
   * Unset: the process counts as started once spawned.
   */
  ready?: string;
  /** How long `ready` may take. @default 30000 */
  readyTimeoutMs?: number;
  /** A command that runs node with the rest of the command line, e.g. `['taskset', '-c', '1']` to pin it to a CPU. */
  wrapper?: string[];
}

/** How {@link ProcessStack.start} differs from the service's own entry point (the bench's instrumented gateway...). */
export interface StartOptions {
  /** Runs this script instead of the entry point: same port variable, upstream URLs and environment. */
  script?: string;
  nodeFlags?: string[];
  wrapper?: string[];
  /** `health` (its health path answers 200) or `listening` (its port accepts connections). @default 'health' */
  readyWhen?: 'health' | 'listening';
  /** How long it may take to be up. @default 30000 */
  readyTimeoutMs?: number;
  /**
   * Processes of each subgraph ({@link ProcessStack.startSubgraphs} only): the first named after the subgraph, the
   * others `<name>-2`, `<name>-3`, ...; services started afterwards get every replica's URL, comma-separated, and
   * balance over them (as `npm start` with `SUBGRAPH_REPLICAS`). @default 1
   */
  replicas?: number;
}

/** The last lines a process wrote. */
export function tail(proc: StackProcess, lines = 30): string {
  return proc.output.join('').split('\n').slice(-lines).join('\n');
}

/**
 * Real processes for end-to-end tests and the bench: the services of the manifest (`@chatgraph/manifest`) started
 * from their built entry points with a test's own environment (databases, Redis, ports), each on a free port, and any
 * other node script. Each child has an IPC channel, so a service stops by itself when the test (or bench) process
 * goes away, even killed. Processes can be stopped, killed and restarted.
 */
export class ProcessStack {
  readonly processes = new Map<string, StackProcess>();
  private readonly env: Record<string, string>;
  /** Where the subgraphs started by {@link startSubgraphs} answer, by URL variable (USERS_URL, ...). */
  private readonly subgraphUrls: Record<string, string> = {};

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
      NOTIFICATIONS_SHARDS: String(config.NOTIFICATIONS_SHARDS),
      DATABASE_URL: config.DATABASE_URL,
      REDIS_URL: config.REDIS_URL,
      JWT_SECRET: config.JWT_SECRET,
      GATEWAY_IDENTITY_SECRET: config.GATEWAY_IDENTITY_SECRET,
      DB_POOL_SIZE: String(config.DB_POOL_SIZE),
      ...(config.TOPOLOGY_FILE ? { TOPOLOGY_FILE: config.TOPOLOGY_FILE } : {}),
      ...extra,
    };
  }

  /** URL of a process's /graphql. */
  url(name: string): string {
    const p = this.processes.get(name);
    if (!p) throw new Error(`no process ${name}`);
    return `http://127.0.0.1:${p.port}/graphql`;
  }

  /** URL of a path of a process's admin server (`/stats` by default, `/metrics`, `/ready`, ...), which only listens on loopback. */
  adminUrl(name: string, path = '/stats'): string {
    const p = this.processes.get(name);
    if (!p) throw new Error(`no process ${name}`);
    if (!p.adminPort) throw new Error(`process ${name} has no admin port`);
    return `http://127.0.0.1:${p.adminPort}${path}`;
  }

  /** WebSocket URL of a gateway's /graphql. */
  wsUrl(name: string): string {
    return this.url(name).replace('http://', 'ws://');
  }

  /**
   * Starts every subgraph of the manifest, each named after itself (replicas: see {@link StartOptions.replicas}),
   * phase by phase (the subgraphs of one phase in parallel), and waits until each answers its health path. A
   * subgraph, and any service started afterwards, gets the URLs of those it calls in its upstream variables
   * (CHATS_URL, ...).
   */
  async startSubgraphs(extra: Record<string, string> = {}, options: StartOptions = {}): Promise<void> {
    const replicas = options.replicas ?? 1;
    // In waves: a subgraph that calls others (chats → users) starts once their URLs are known.
    let pending: SubgraphSpec[] = [...SUBGRAPHS];
    while (pending.length) {
      const wave = pending.filter((s) => s.upstreams.every((key) => key in this.subgraphUrls || key in extra));
      if (wave.length === 0) throw new Error(`subgraphs calling each other in a circle: ${pending.map((s) => s.name)}`);
      const names = (s: SubgraphSpec) =>
        Array.from({ length: replicas }, (_, k) => ProcessStack.replicaName(s.name, k));
      await Promise.all(
        wave.flatMap((s) => names(s).map((name) => this.start(name, s.name, undefined, extra, options))),
      );
      for (const s of wave)
        this.subgraphUrls[s.graphql.urlKey] = names(s)
          .map((n) => this.url(n))
          .join(',');
      pending = pending.filter((s) => !wave.includes(s));
    }
  }

  /** The name of replica `k` (from 0) of a service: `users`, `users-2`, `users-3`, ... */
  static replicaName(service: string, k: number): string {
    return k === 0 ? service : `${service}-${k + 1}`;
  }

  /** Where the subgraphs of {@link startSubgraphs} answer, by URL variable (replicas comma-separated). */
  subgraphUrlsByKey(): Readonly<Record<string, string>> {
    return { ...this.subgraphUrls };
  }

  /**
   * Starts a process of the manifest service `kind` named `name`, on `port` (default: a free one), and waits until it
   * is up (its health path answers 200). Its upstream URL variables point at the subgraphs of {@link startSubgraphs}
   * unless `extra` sets them; a service whose upstreams are not known is refused.
   */
  async start(
    name: string,
    kind: string,
    port?: number,
    extra: Record<string, string> = {},
    options: StartOptions = {},
  ): Promise<StackProcess> {
    const service = serviceNamed(kind);
    const upstreams: Record<string, string> = {};
    for (const key of service.upstreams) {
      const url = extra[key] ?? this.subgraphUrls[key];
      if (!url) throw new Error(`${name} (${kind}) calls ${key}: start the subgraphs first (startSubgraphs)`);
      upstreams[key] = url;
    }
    for (let attempt = 1; ; attempt++) {
      const actualPort = port ?? (await freePort());
      // Every process gets an admin port of its own: port + 5000 could be taken by a parallel test. A worker's one
      // port is its admin server.
      const adminPort = service.kind === 'worker' ? actualPort : await freePort();
      const where = `127.0.0.1:${actualPort}`;
      try {
        return await this.spawn({
          name,
          kind,
          script: options.script ?? path.join(repoRoot, service.entry),
          nodeFlags: options.nodeFlags,
          wrapper: options.wrapper,
          env: { ADMIN_PORT: String(adminPort), ...extra, ...upstreams, [service.port.key]: String(actualPort) },
          port: actualPort,
          adminPort,
          ready: options.readyWhen === 'listening' ? `tcp:${where}` : `http-get://${where}${service.health}`,
          readyTimeoutMs: options.readyTimeoutMs,
        });
      } catch (err) {
        // A port found free can be taken before the child listens on it (another test's process, or an outgoing
        // connection given it as its ephemeral port): the child exits with EADDRINUSE. Unless the caller named the
        // port, start again on fresh ones.
        if (port !== undefined || attempt >= 3 || !/EADDRINUSE/.test((err as Error).message)) throw err;
      }
    }
  }

  /** Starts any node script as a process of the stack and waits until it is up (see {@link ProcessSpec.ready}). */
  async spawn(spec: ProcessSpec): Promise<StackProcess> {
    const argv = [...(spec.nodeFlags ?? []), spec.script, ...(spec.args ?? [])];
    const [command, ...args] = [...(spec.wrapper ?? []), process.execPath, ...argv];
    const env = { ...(process.env as Record<string, string>), ...this.env, ...spec.env };
    const child = spawn(command!, args, {
      // As deployed: one background thread for V8 unless V8_POOL_SIZE (or NODE_OPTIONS) says otherwise.
      env: { ...env, NODE_OPTIONS: nodeOptionsFor(env) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const proc: StackProcess = {
      name: spec.name,
      kind: spec.kind ?? spec.name,
      port: spec.port ?? 0,
      adminPort: spec.adminPort ?? 0,
      child,
      output: [],
    };
    const keep = (d: Buffer) => {
      proc.output.push(String(d));
      if (proc.output.length > KEPT_CHUNKS) proc.output.splice(0, proc.output.length - KEPT_CHUNKS);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    // STACK_LOG_DIR: every process's whole output also goes to <dir>/<name>.<pid>.log (debugging a bench or a test).
    const logDir = process.env.STACK_LOG_DIR;
    if (logDir) {
      const file = fs.createWriteStream(path.join(logDir, `${spec.name}.${child.pid}.log`));
      child.stdout!.pipe(file, { end: false });
      child.stderr!.pipe(file, { end: false });
      child.once('exit', () => file.end());
    }
    this.processes.set(spec.name, proc);
    if (spec.ready) await untilReady(proc, spec.ready, spec.readyTimeoutMs);
    return proc;
  }

  /**
   * Sends `signal` to a process and waits for it to exit (SIGKILL after `graceMs`); resolves with its exit code.
   */
  async stop(name: string, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<number | null> {
    const proc = this.processes.get(name);
    if (!proc) return null;
    this.processes.delete(name);
    const { child } = proc;
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
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

/** wait-on cannot be cancelled: it is asked in slices this long, so it stops polling soon after a process died. */
const POLL_SLICE_MS = 1000;

/**
 * Waits until `resource` answers (wait-on), failing at once, with the process's last output, if the process exits
 * first or the resource does not answer within `timeoutMs`.
 */
async function untilReady(proc: StackProcess, resource: string, timeoutMs = 30_000): Promise<void> {
  const gone = () => proc.child.exitCode !== null || proc.child.signalCode !== null;
  let onExit!: () => void;
  const exited = new Promise<'exited'>((resolve) => (onExit = () => resolve('exited')));
  proc.child.once('exit', onExit);
  const deadline = Date.now() + timeoutMs;
  try {
    while (!gone()) {
      const slice = Math.max(1, Math.min(POLL_SLICE_MS, deadline - Date.now()));
      // The stability window is kept short: a health path that answered once is up.
      const answered = waitOn({ resources: [resource], timeout: slice, interval: 100, window: 100, proxy: false }).then(
        () => 'up' as const,
        () => 'not yet' as const,
      );
      const outcome = await Promise.race([answered, exited]);
      if (outcome === 'up') return;
      if (outcome === 'not yet' && Date.now() >= deadline) {
        throw new Error(`${proc.name} did not answer ${resource} within ${timeoutMs} ms:\n${tail(proc)}`);
      }
    }
    throw new Error(`${proc.name} exited with ${proc.child.exitCode} before answering:\n${tail(proc)}`);
  } finally {
    proc.child.off('exit', onExit);
  }
}
