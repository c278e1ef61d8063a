// The local stack runner (scripts/runStack.js behind `npm start`) on stand-ins for the services of the manifest (same
// names, phases and upstreams): start order, Ctrl-C, crashes, stubborn processes; and `npm start` refusing to start
// when a backing service it was pointed at does not answer, or when it cannot run one itself (bareMachine.test.ts has
// the case where it does).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SERVICES, SUBGRAPHS } from '@chatgraph/manifest';
import { freePort, freePorts } from '@chatgraph/testing';
import { alive, runCommand as start } from './runCommand';

const FAKE = path.join(__dirname, 'fixtures', 'fakeService.js');
const DRIVER = path.join(__dirname, 'fixtures', 'runFakeStack.js');

interface Proc {
  name: string;
  argv: string[];
  phase: number;
  healthUrl?: string;
}

describe('stack runner', () => {
  let pidDir: string;
  beforeEach(() => {
    pidDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-stack-'));
  });
  afterEach(() => {
    // A failed test must not leave stand-ins running.
    for (const f of fs.readdirSync(pidDir)) {
      const pid = Number(fs.readFileSync(path.join(pidDir, f), 'utf8'));
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
    fs.rmSync(pidDir, { recursive: true, force: true });
  });

  const pidOf = (name: string) => Number(fs.readFileSync(path.join(pidDir, `${name}.pid`), 'utf8'));

  const NAMES = SERVICES.map((s) => s.name);

  async function stack(behaviours: Record<string, string>) {
    const picked = await freePorts(NAMES.length);
    const ports = Object.fromEntries(NAMES.map((name, i) => [name, picked[i]!]));
    const health = (name: string) => `http://127.0.0.1:${ports[name]}/health`;
    // A stand-in exits 2 if a service it calls (its upstreams) does not answer /health when it starts.
    const requires = (upstreams: readonly string[]) =>
      SUBGRAPHS.filter((s) => upstreams.includes(s.graphql.urlKey)).map((s) => health(s.name));
    const processes: Proc[] = SERVICES.map((s) => ({
      name: s.name,
      phase: s.phase,
      argv: [
        process.execPath,
        FAKE,
        s.name,
        String(ports[s.name]),
        behaviours[s.name] ?? 'ok',
        pidDir,
        ...requires(s.upstreams),
      ],
      healthUrl: health(s.name),
    }));
    return { health, processes };
  }

  /**
   * The runner with every stand-in well behaved, once it printed STACK READY. A port picked free can be taken by another
   * test's process before its stand-in binds it (EADDRINUSE: the runner then stops everything, as it should); the stack
   * is started again on new ports, up to three times.
   */
  async function readyStack() {
    for (let attempt = 1; ; attempt++) {
      const { processes } = await stack({});
      const run = start(process.execPath, [DRIVER, JSON.stringify({ processes, stopTimeoutMs: 10_000 })]);
      try {
        await run.waitFor('STACK READY');
        return run;
      } catch (err) {
        if (attempt === 3 || !run.output().includes('EADDRINUSE')) throw err;
      }
    }
  }

  it('starts the gateway after the subgraphs answer; on Ctrl-C stops the gateway, then the subgraphs, each with one SIGTERM', async () => {
    const run = await readyStack();
    const pids = NAMES.map(pidOf);
    expect(pids.every(alive)).toBe(true);
    // Output is prefixed with the process name, once per line.
    expect(run.output()).toMatch(/^\[gateway\s*\] gateway: listening on \d+$/m);
    expect(run.output()).toMatch(/^\[users\s*\] users: listening on \d+$/m);

    // Ctrl-C in a terminal: SIGINT to the whole foreground process group.
    process.kill(-run.child.pid!, 'SIGINT');
    expect(await run.exited).toBe(0);
    const out = run.output();
    for (const name of NAMES) {
      expect(out).toContain(`${name}: stopped by SIGTERM`);
      expect(out).not.toContain(`${name}: stopped by SIGINT`);
    }
    // The gateway has exited before any subgraph is asked to stop, so it can drain against live subgraphs.
    const gatewayExit = out.search(/\[gateway\s*\] exited with code 0/);
    expect(gatewayExit).toBeGreaterThan(-1);
    for (const name of SUBGRAPHS.map((s) => s.name))
      expect(out.indexOf(`${name}: stopped by SIGTERM`)).toBeGreaterThan(gatewayExit);
    expect(pids.filter(alive)).toEqual([]);
  });

  it('stops every process on SIGTERM to the runner alone', async () => {
    const run = await readyStack();
    const pids = NAMES.map(pidOf);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.output().match(/stopped by SIGTERM/g)).toHaveLength(NAMES.length);
    expect(pids.filter(alive)).toEqual([]);
  });

  it('stops the others and exits non-zero when a service crashes at start; the gateway never starts', async () => {
    const { processes } = await stack({ chats: 'crash' });
    const run = start(process.execPath, [DRIVER, JSON.stringify({ processes, stopTimeoutMs: 10_000 })]);
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('chats: cannot start (simulated crash)');
    expect(run.output()).toMatch(/chats ended on its own \(exit code 1\)/);
    expect(run.output()).not.toContain('STACK READY');
    expect(fs.existsSync(path.join(pidDir, 'gateway.pid'))).toBe(false);
    const survivors = NAMES.filter((n) => n !== 'chats')
      .filter((n) => fs.existsSync(path.join(pidDir, `${n}.pid`)))
      .map(pidOf)
      .filter(alive);
    expect(survivors).toEqual([]);
  });

  it('kills a process that ignores SIGTERM after the stop timeout and reports the run as failed', async () => {
    const { processes } = await stack({ presence: 'ignore-sigterm' });
    const run = start(process.execPath, [DRIVER, JSON.stringify({ processes, stopTimeoutMs: 1000 })]);
    await run.waitFor('STACK READY');
    const presence = pidOf('presence');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('presence: ignoring SIGTERM');
    expect(run.output()).toMatch(/presence still running after 1000 ms: sending SIGKILL/);
    expect(alive(presence)).toBe(false);
  });

  it('stops everything when a service does not answer its health URL in time', async () => {
    const { processes } = await stack({});
    // users listens on its own port, but the runner is told to wait for a port where nothing answers.
    processes.find((p) => p.name === 'users')!.healthUrl = `http://127.0.0.1:${await freePort()}/health`;
    const run = start(process.execPath, [
      DRIVER,
      JSON.stringify({ processes, startTimeoutMs: 1500, stopTimeoutMs: 10_000 }),
    ]);
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/users \(http:\/\/127\.0\.0\.1:\d+\/health\) did not answer within 1500 ms/);
    // The phase that failed is stopped; later phases (chats, then the gateway) never started.
    const failedPhase = SUBGRAPHS.find((s) => s.name === 'users')!.phase;
    const later = SERVICES.filter((s) => s.phase > failedPhase).map((s) => s.name);
    expect(later.length).toBeGreaterThan(0);
    for (const name of later) expect([name, fs.existsSync(path.join(pidDir, `${name}.pid`))]).toEqual([name, false]);
    const sameOrEarlier = SERVICES.filter((s) => s.phase <= failedPhase).map((s) => s.name);
    expect(sameOrEarlier.map(pidOf).filter(alive)).toEqual([]);
  });
});

describe('npm start', () => {
  it('refuses to start, before building anything, when Redis does not answer, and says how to start it', async () => {
    const port = await freePort();
    const run = start(process.execPath, ['scripts/start.js'], {
      ...process.env,
      REDIS_URL: `redis://127.0.0.1:${port}`,
    });
    expect(await run.exited).toBe(1);
    const out = run.output();
    expect(out).toContain(`Redis does not answer at redis://127.0.0.1:${port}`);
    expect(out).toContain('redis-server --daemonize yes --port 6379');
    expect(out).toContain('docker compose up -d redis');
    expect(out).toContain('nothing was started');
    expect(out).not.toContain('Building');
    expect(out).not.toContain('PostgreSQL does not answer');
  });

  it('refuses to start when PostgreSQL does not answer', async () => {
    const port = await freePort();
    const run = start(process.execPath, ['scripts/start.js'], {
      ...process.env,
      DATABASE_URL: `postgresql://postgres@127.0.0.1:${port}`,
    });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain(`PostgreSQL does not answer at postgresql://postgres@127.0.0.1:${port}`);
    expect(run.output()).toContain('pg_ctlcluster --skip-systemctl-redirect');
    expect(run.output()).not.toContain('Building');
  });

  it('names the package to install, and starts nothing, when no Redis answers and redis-server is not installed', async () => {
    const port = await freePort();
    // A PATH without redis-server (nor anything else: nothing runs before the check but node itself).
    const emptyPath = fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-path-'));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: emptyPath,
      CHATGRAPH_PROBE_REDIS_URL: `redis://127.0.0.1:${port}`,
    };
    delete env.REDIS_URL;
    try {
      const run = start(process.execPath, ['scripts/start.js'], env);
      expect(await run.exited).toBe(1);
      const out = run.output();
      expect(out).toContain(`Redis does not answer at redis://127.0.0.1:${port}`);
      expect(out).toContain('redis-server is not installed');
      expect(out).toMatch(/^ {2}(sudo )?apt-get install -y redis-server$/m);
      expect(out).toContain('docker compose up -d redis');
      expect(out).toContain('nothing was started');
      expect(out).not.toContain('Building');
      expect(out).not.toContain('started an embedded PostgreSQL');
    } finally {
      fs.rmSync(emptyPath, { recursive: true, force: true });
    }
  });

  it('rejects an unknown argument with its usage', async () => {
    const run = start(process.execPath, ['scripts/start.js', '--bogus']);
    expect(await run.exited).toBe(64);
    expect(run.output()).toContain('Unknown argument --bogus');
    expect(run.output()).toContain('Usage: npm start');
  });
});
