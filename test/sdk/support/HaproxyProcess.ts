import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@chatgraph/testing';
import { haproxyConfig } from '../../../deploy/haproxyConfig';

/** True when the `haproxy` binary is installed (Debian package `haproxy`). */
export const haproxyInstalled = !spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).error;

/** A real HAProxy with the deployed configuration (deploy/haproxyConfig.js) in front of gateways on local ports. */
export class HaproxyProcess {
  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {}

  /** Starts HAProxy in front of the gateways on `gatewayPorts` and waits until it answers. */
  static async start(gatewayPorts: number[]): Promise<HaproxyProcess> {
    const port = await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-sdk-haproxy-'));
    const file = path.join(dir, 'haproxy.cfg');
    fs.writeFileSync(
      file,
      haproxyConfig({
        port,
        bindHost: '127.0.0.1',
        gateways: gatewayPorts.map((p) => ({ host: '127.0.0.1', port: p })),
      }),
    );
    const child = spawn('haproxy', ['-db', '-f', file], { stdio: 'ignore' });
    const proxy = new HaproxyProcess(port, child, dir);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/haproxy/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return proxy;
      if (Date.now() > deadline) {
        await proxy.close();
        throw new Error('HAProxy did not start');
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** `/graphql` through the proxy, over HTTP. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/graphql`;
  }

  /** `/graphql` through the proxy, over WebSocket. */
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/graphql`;
  }

  /** Stops HAProxy and removes its configuration. */
  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGKILL');
      await exited;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
