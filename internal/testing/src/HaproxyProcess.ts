import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './freePort';

// deploy/haproxyConfig.js is plain CommonJS shared with the container stack; load it by path.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { haproxyConfig } = require(path.resolve(__dirname, '..', '..', '..', 'deploy', 'haproxyConfig.js')) as {
  haproxyConfig: (a: {
    port: number;
    bindHost?: string;
    gateways: Array<{ host: string; port: number }>;
    balancing?: GatewayBalancing;
  }) => string;
};

/** HAProxy's balancing strategies for the gateways (deploy/haproxyConfig.js, `BALANCING`). */
export type GatewayBalancing = 'least-connections' | 'round-robin' | 'ip-hash';

/** True where the `haproxy` binary is installed (Debian package `haproxy`). */
export const haproxyInstalled = !spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).error;

/**
 * A real HAProxy with the deployed configuration (deploy/haproxyConfig.js) in front of gateways on local ports, on a
 * free port of its own.
 */
export class HaproxyProcess {
  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {}

  /** Starts HAProxy in front of `gatewayPorts` and waits until it answers. */
  static async start(gatewayPorts: number[], options: { balancing?: GatewayBalancing } = {}): Promise<HaproxyProcess> {
    const port = await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-haproxy-'));
    const file = path.join(dir, 'haproxy.cfg');
    fs.writeFileSync(
      file,
      haproxyConfig({
        port,
        bindHost: '127.0.0.1',
        gateways: gatewayPorts.map((p) => ({ host: '127.0.0.1', port: p })),
        balancing: options.balancing,
      }),
    );
    const child = spawn('haproxy', ['-db', '-f', file], { stdio: 'ignore' });
    const proxy = new HaproxyProcess(port, child, dir);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const up = await fetch(`http://127.0.0.1:${port}/haproxy/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      if (Date.now() > deadline) throw new Error('HAProxy did not answer within 15 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    return proxy;
  }

  /** HTTP URL of /graphql through the proxy. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/graphql`;
  }

  /** WebSocket URL of /graphql through the proxy. */
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/graphql`;
  }

  /** Stops HAProxy and removes its folder. */
  async close(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGKILL');
      await exited;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
