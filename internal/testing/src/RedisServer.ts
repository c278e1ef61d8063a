import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './freePort';

const execFileAsync = promisify(execFile);

/** Starts of a server before giving up, each on another port when the last was taken. */
const START_ATTEMPTS = 5;

/**
 * Waits until the redis-server `child` answers on `port`: its own answer, by process id, not another server's that
 * took the port first. Throws at once if the child exited (its port was taken between the choice and the start).
 */
async function waitForOwnServer(child: ChildProcess, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`redis-server on port ${port} exited (code ${child.exitCode})`);
    const info = await execFileAsync('redis-cli', ['-p', String(port), 'INFO', 'server'], { timeout: 2000 }).then(
      (r) => r.stdout,
      () => '',
    );
    if (info.includes(`process_id:${child.pid}\r`) || info.includes(`process_id:${child.pid}\n`)) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A `redis-server` of a test's own, on a free port, without persistence: for tests that stop or restart Redis
 * (never the machine's shared one). `restart()` keeps the port, so clients reconnect to the same URL.
 */
export class RedisServer {
  private child?: ChildProcess;
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-redis-'));

  private constructor(readonly port: number) {}

  /**
   * Starts a new server on a free port. A free port is only free until someone binds it: when another test's process
   * took it between the choice and the start, the server exits at once and another port is tried.
   */
  static async start(): Promise<RedisServer> {
    for (let attempt = 1; ; attempt++) {
      const server = new RedisServer(await freePort());
      try {
        await server.startProcess();
        return server;
      } catch (err) {
        const exited = server.child !== undefined && server.child.exitCode !== null;
        await server.close();
        if (!exited || attempt >= START_ATTEMPTS) throw err;
      }
    }
  }

  /** `redis://127.0.0.1:<port>`. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private async startProcess(): Promise<void> {
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir],
      { stdio: 'ignore' },
    );
    await waitForOwnServer(this.child, this.port, 10_000);
  }

  /** Stops the server (SIGKILL by default, like a crash) and waits for the process to end. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
    this.child = undefined;
  }

  /** Starts the server again on the same port (empty: no persistence). */
  async restart(): Promise<void> {
    await this.stop();
    await this.startProcess();
  }

  /** Stops the server and removes its folder. */
  async close(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
