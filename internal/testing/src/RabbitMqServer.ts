import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, startOnFreePorts } from './freePort';

/** The broker's own start script (the Debian wrapper in /usr/sbin switches to the rabbitmq user and its data). */
const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';

/** Whether a RabbitMQ server can be started here. */
export function rabbitMqInstalled(): boolean {
  return fs.existsSync(RABBITMQ_SERVER);
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A RabbitMQ node of a test's own (never the machine's shared broker), for tests that stop or restart the broker: a
 * unique node name, free AMQP and distribution ports, its data and logs in a temporary folder, no plugins and none of
 * the machine's configuration. `restart()` keeps the port and the data (durable queues and persistent messages
 * survive, as on a real broker restart).
 */
export class RabbitMqServer {
  private child?: ChildProcess;
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-rabbitmq-'));
  private readonly nodeName = `test-${randomBytes(4).toString('hex')}@localhost`;
  private output = '';

  private constructor(
    readonly port: number,
    private readonly distPort: number,
  ) {
    fs.writeFileSync(path.join(this.dir, 'rabbitmq.conf'), `listeners.tcp.default = 127.0.0.1:${port}\n`);
    fs.writeFileSync(path.join(this.dir, 'enabled_plugins'), '[].\n');
    fs.writeFileSync(path.join(this.dir, 'rabbitmq-env.conf'), '');
  }

  /** Starts a new node on free ports and waits until it accepts AMQP connections. */
  static async start(): Promise<RabbitMqServer> {
    return startOnFreePorts(
      async () => {
        const server = new RabbitMqServer(await freePort(), await freePort());
        try {
          await server.startProcess();
          return server;
        } catch (err) {
          await server.close();
          throw err;
        }
      },
      {
        attempts: 3,
        retryIf: (err) => /dist_port_already_used|eaddrinuse|address already in use/i.test((err as Error).message),
      },
    );
  }

  /** `amqp://guest:guest@127.0.0.1:<port>`. */
  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}`;
  }

  private async startProcess(): Promise<void> {
    this.output = '';
    const child = spawn(RABBITMQ_SERVER, [], {
      env: {
        ...process.env,
        RABBITMQ_NODENAME: this.nodeName,
        RABBITMQ_NODE_PORT: String(this.port),
        RABBITMQ_DIST_PORT: String(this.distPort),
        RABBITMQ_MNESIA_BASE: path.join(this.dir, 'mnesia'),
        RABBITMQ_LOG_BASE: path.join(this.dir, 'log'),
        RABBITMQ_CONFIG_FILE: path.join(this.dir, 'rabbitmq'),
        RABBITMQ_CONF_ENV_FILE: path.join(this.dir, 'rabbitmq-env.conf'),
        RABBITMQ_ENABLED_PLUGINS_FILE: path.join(this.dir, 'enabled_plugins'),
        RABBITMQ_ADVANCED_CONFIG_FILE: path.join(this.dir, 'advanced.config'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: stop() signals the start script and the Erlang VM under it together.
      detached: true,
    });
    const keep = (d: Buffer) => (this.output = (this.output + String(d)).slice(-4000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.child = child;
    const deadline = Date.now() + 60_000;
    while (!(await portAnswers(this.port))) {
      if (child.exitCode !== null) throw new Error(`rabbitmq-server exited with ${child.exitCode}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`rabbitmq-server did not listen on ${this.port}:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Stops the node (SIGKILL by default, like a crash; SIGTERM lets it shut down) and waits for it to end. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(-child.pid!, signal);
    await exited;
    // The VM may outlive the script by a moment; wait until the port is free again.
    while (await portAnswers(this.port)) await new Promise((r) => setTimeout(r, 100));
    this.child = undefined;
  }

  /** Stops the node and starts it again on the same port, with its data. */
  async restart(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.stop(signal);
    await this.startProcess();
  }

  /** Stops the node and removes its folder. */
  async close(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
