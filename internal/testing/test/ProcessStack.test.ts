import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, ProcessStack, testConfig } from '../src';

/** Writes a node script into a folder of this test file and returns its path. */
function script(dir: string, name: string, source: string): string {
  const file = path.join(dir, `${name}.js`);
  fs.writeFileSync(file, source);
  return file;
}

describe('ProcessStack', () => {
  let dir: string;
  let stack: ProcessStack;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-stack-'));
    stack = new ProcessStack(ProcessStack.envFor(testConfig()));
  });
  afterEach(async () => {
    await stack.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts a service of the manifest from its built entry point on a free port, and stops it cleanly', async () => {
    // presence needs Redis to start; it calls chats (its upstream) only when someone's presence is read.
    const proc = await stack.start('presence', 'presence', undefined, { CHATS_URL: 'http://127.0.0.1:1/graphql' });
    expect(proc.port).toBeGreaterThan(0);
    const health = await fetch(`http://127.0.0.1:${proc.port}/health`);
    expect(await health.json()).toMatchObject({ status: 'ok', service: 'presence' });
    expect(stack.url('presence')).toBe(`http://127.0.0.1:${proc.port}/graphql`);
    // its admin server on a port of its own
    expect(proc.adminPort).not.toBe(proc.port);
    expect(await (await fetch(stack.adminUrl('presence'))).json()).toMatchObject({ service: 'presence' });
    expect(await stack.stop('presence')).toBe(0);
    await expect(fetch(`http://127.0.0.1:${proc.port}/health`)).rejects.toThrow();
  });

  it('refuses a service the manifest does not list, and one whose upstreams are not running', async () => {
    await expect(stack.start('x', 'mailer')).rejects.toThrow(/unknown service mailer/);
    await expect(stack.start('gw', 'gateway')).rejects.toThrow(/gw \(gateway\) calls USERS_URL: start the subgraphs/);
    await expect(stack.start('p', 'presence')).rejects.toThrow(/p \(presence\) calls CHATS_URL/);
    expect(stack.processes.size).toBe(0);
  });

  it('gives each process one V8 pool thread through NODE_OPTIONS, or V8_POOL_SIZE of its environment', async () => {
    // Answers with the NODE_OPTIONS it was started with and how many threads it runs.
    const report = script(
      dir,
      'report',
      `require('node:http').createServer((req, res) => res.end(JSON.stringify({
        nodeOptions: process.env.NODE_OPTIONS,
        threads: require('node:fs').readdirSync('/proc/self/task').length,
      }))).listen(Number(process.argv[2]), '127.0.0.1');`,
    );
    const started = async (name: string, env: Record<string, string>) => {
      const port = await freePort();
      await stack.spawn({ name, script: report, args: [String(port)], env, port, ready: `tcp:127.0.0.1:${port}` });
      return (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { nodeOptions: string; threads: number };
    };
    // No NODE_OPTIONS of their own (whatever the test runner's environment has).
    const byDefault = await started('default', { NODE_OPTIONS: '' });
    const three = await started('three', { NODE_OPTIONS: '', V8_POOL_SIZE: '3' });
    expect(byDefault.nodeOptions).toBe('--v8-pool-size=1');
    expect(three.nodeOptions).toBe('--v8-pool-size=3');
    expect(three.threads - byDefault.threads).toBe(2);
  });

  it('fails at once, with what the process wrote, when it exits before it is up', async () => {
    const crash = script(dir, 'crash', `process.stderr.write('cannot bind: simulated\\n'); process.exit(3);`);
    const port = await freePort();
    await expect(
      stack.spawn({ name: 'crash', script: crash, port, ready: `tcp:127.0.0.1:${port}`, readyTimeoutMs: 60_000 }),
    ).rejects.toThrow(/crash exited with 3 before answering:\ncannot bind: simulated/);
  });

  it('fails when the process does not answer in time, and still stops it', async () => {
    const idle = script(dir, 'idle', `setInterval(() => {}, 1000); process.stdout.write('idling\\n');`);
    const port = await freePort();
    await expect(
      stack.spawn({ name: 'idle', script: idle, port, ready: `tcp:127.0.0.1:${port}`, readyTimeoutMs: 3000 }),
    ).rejects.toThrow(/idle did not answer tcp:127\.0\.0\.1:\d+ within 3000 ms:\nidling/);
    const child = stack.processes.get('idle')!.child;
    await stack.close();
    expect(child.signalCode).toBe('SIGTERM');
  });

  it('kills a process that ignores SIGTERM once the grace period is over', async () => {
    const stubborn = script(
      dir,
      'stubborn',
      `process.on('SIGTERM', () => process.stdout.write('not now\\n')); setInterval(() => {}, 1000); process.send('up');`,
    );
    const proc = await stack.spawn({ name: 'stubborn', script: stubborn });
    await new Promise((r) => proc.child.once('message', r));
    expect(await stack.stop('stubborn', 'SIGTERM', 300)).toBeNull();
    expect(proc.child.signalCode).toBe('SIGKILL');
    expect(proc.output.join('')).toContain('not now');
  });
});
