import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort, RedisServer, subgraphRequester, testConfig } from '@chatgraph/testing';
import { HEARTBEAT } from './support/operations';
import { randomUserId } from './support/randomUserId';

const ROOT = path.join(__dirname, '..', '..', '..');
const ENTRY = path.join(ROOT, 'subgraphs', 'presence', 'dist', 'index.js');

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null) return Promise.resolve({ code: child.exitCode, signal: null });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

async function waitForStatus(url: string, status: number, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`presence exited with ${child.exitCode}`);
    const got = await fetch(url).then(
      (r) => r.status,
      () => 0,
    );
    if (got === status) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('presence process (dist/index.js)', () => {
  let redisServer: RedisServer;

  beforeAll(async () => {
    // The process runs the compiled output, so make sure it is current.
    execFileSync(path.join(ROOT, 'node_modules', '.bin', 'tsc'), ['--build', 'subgraphs/presence'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    redisServer = await RedisServer.start();
  }, 180_000);
  afterAll(() => redisServer?.close());

  it('starts while Redis is down, becomes ready when it is up, serves heartbeats, and exits 0 on SIGTERM', async () => {
    await redisServer.stop();
    const port = await freePort();
    const config = testConfig();
    const child = spawn(process.execPath, [ENTRY], {
      env: {
        ...process.env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        REDIS_URL: redisServer.url,
        PRESENCE_PORT: String(port),
        PRESENCE_SWEEP_INTERVAL_MS: '100',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const base = `http://127.0.0.1:${port}`;
    const request = subgraphRequester(config, `${base}/graphql`);
    try {
      await waitForStatus(`${base}/health`, 200, child);
      expect((await fetch(`${base}/ready`)).status).toBe(503);
      const down = await request(HEARTBEAT, {}, randomUserId());
      expect(down.errors![0]!.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE' });

      await redisServer.restart();
      await waitForStatus(`${base}/ready`, 200, child);
      const up = await request(HEARTBEAT, {}, randomUserId());
      expect(up.data!.heartbeat.status).toBe('ONLINE');

      child.kill('SIGTERM');
      expect(await exitOf(child)).toEqual({ code: 0, signal: null });
      expect(output).toContain('presence: stopped');
      expect(output).not.toMatch(/unhandled|"level":50/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
