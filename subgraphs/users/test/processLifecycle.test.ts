import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createTestDatabases, freePort, subgraphRequester, testConfig, type TestDatabases } from '@chatgraph/testing';
import { SIGN_UP } from './startUsers';

const ROOT = path.join(__dirname, '..', '..', '..');
const ENTRY = path.join(ROOT, 'subgraphs', 'users', 'dist', 'index.js');

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null) return Promise.resolve({ code: child.exitCode, signal: null });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

async function waitForHealth(base: string, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`users exited with ${child.exitCode} before answering /health`);
    try {
      const res = await fetch(`${base}/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('users process (dist/index.js)', () => {
  const config = testConfig({ CHATS_SHARDS: '1' });
  let dbs: TestDatabases;

  beforeAll(async () => {
    // The process runs the compiled output, so make sure it is current.
    execFileSync(path.join(ROOT, 'node_modules', '.bin', 'tsc'), ['--build', 'subgraphs/users'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    dbs = await createTestDatabases(config);
  }, 180_000);
  afterAll(() => dbs?.drop());

  it('serves /health and GraphQL, and exits 0 on SIGTERM after closing', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [ENTRY], {
      env: {
        ...process.env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        DB_NAME_PREFIX: config.DB_NAME_PREFIX,
        CHATS_SHARDS: '1',
        USERS_PORT: String(port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitForHealth(base, child);
      const res = await subgraphRequester(config, `${base}/graphql`)(SIGN_UP, {
        username: 'process_user',
        password: 'password-123',
        displayName: 'Process',
      });
      expect(res.errors).toBeUndefined();
      expect(output).not.toContain('password-123');

      child.kill('SIGTERM');
      expect(await exitOf(child)).toEqual({ code: 0, signal: null });
      expect(output).toContain('users: stopped');
      await expect(fetch(`${base}/health`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('exits 78 and names the variable when the configuration is invalid', async () => {
    const child = spawn(process.execPath, [ENTRY], {
      env: { ...process.env, USERS_PORT: 'not-a-port' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    expect((await exitOf(child)).code).toBe(78);
    expect(stderr).toContain('USERS_PORT');
  });
});
