// `npm start` where neither PostgreSQL nor Redis answers at the address it looks at, from a fresh copy of the working
// tree: it runs an embedded PostgreSQL (from npm) and a local redis-server, builds, migrates, serves a conversation on
// them, and one SIGTERM stops everything, those two servers included. As root (CI) the embedded server runs as the
// `postgres` user.
//
// The copy is the working tree as git sees it (tracked and untracked files; nothing ignored: no node_modules, dist,
// .data). Its node_modules is a hard-link copy of this checkout's, which `npm ci` installed from the same lockfile:
// the workspace links in it are relative, so they point into the copy, and nothing writes into node_modules. That
// takes seconds where `npm ci` takes a minute; `npm run test:bare` runs this test with a real
// `npm ci --prefer-offline` in the copy instead.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { loadConfig } from '@chatgraph/config';
import { SHARDED_SERVICES, shardMapFor } from '@chatgraph/db';
import { SERVICES } from '@chatgraph/manifest';
import { freePort, freePortPair, gatewayRequest, signUp } from '@chatgraph/testing';
import { alive, ROOT, runCommand, type Run } from './runCommand';

const REAL_NPM_CI = process.env.CHATGRAPH_BARE_NPM_CI === '1';
/** A fresh build of the whole repository on a shared 2-core machine takes minutes. */
const TIMEOUT_MS = 15 * 60_000;

/** Copies every file git knows of or would add (tracked, and untracked but not ignored) into `dest`. */
function copyWorkingTree(dest: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter(Boolean);
  for (const file of files) {
    const from = path.join(ROOT, file);
    // A tracked file deleted in the working tree is not part of it.
    if (!fs.existsSync(from)) continue;
    fs.mkdirSync(path.dirname(path.join(dest, file)), { recursive: true });
    fs.copyFileSync(from, path.join(dest, file));
  }
}

/** Installs the dependencies in the copy: hard links to this checkout's (see above), or `npm ci`. */
function installDependencies(dest: string): void {
  if (REAL_NPM_CI) {
    execFileSync('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: dest, stdio: 'ignore' });
    return;
  }
  // The root node_modules and the few nested ones npm made inside workspaces (e.g. gateway/node_modules).
  const skip = ['./node_modules', './.git', './.data'].flatMap((p, i) => [...(i ? ['-o'] : []), '-path', p]);
  const nested = execFileSync(
    'find',
    ['.', '(', ...skip, ')', '-prune', '-o', '-type', 'd', '-name', 'node_modules', '-print', '-prune'],
    { cwd: ROOT, encoding: 'utf8' },
  )
    .split('\n')
    .filter(Boolean);
  for (const folder of ['./node_modules', ...nested]) {
    fs.mkdirSync(path.dirname(path.join(dest, folder)), { recursive: true });
    execFileSync('cp', ['-al', path.join(ROOT, folder), path.join(dest, folder)]);
  }
}

/** A port with a server that drops every connection: no Redis answers there, and the port is taken. */
function occupiedPort(): Promise<net.Server & { port: number }> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () =>
      resolve(Object.assign(server, { port: (server.address() as net.AddressInfo).port })),
    );
  });
}

/** The databases whose names start with `prefix` on the server at `url`. */
async function databasesNamed(url: string, prefix: string): Promise<string[]> {
  const client = new Client({ connectionString: `${url}/postgres`, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE $1 || '\\_%' ORDER BY datname",
      [prefix],
    );
    return rows.map((r) => r.datname);
  } finally {
    await client.end();
  }
}

/** Whether a PostgreSQL answers at `url`. */
async function answers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: `${url}/postgres`, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

describe('npm start on a machine without PostgreSQL and Redis', () => {
  let dir: string;
  let run: Run | undefined;
  let occupied: (net.Server & { port: number }) | undefined;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-bare-'));
    // As root the embedded PostgreSQL runs as `postgres`, which must reach the copy (mkdtemp makes it owner-only).
    fs.chmodSync(dir, 0o755);
    copyWorkingTree(dir);
    installDependencies(dir);
  }, TIMEOUT_MS);

  afterAll(() => {
    // A failed test must not leave the stack running: the whole group of `npm start`, then its own servers (their
    // own process groups) through the pids it printed.
    if (run?.child.exitCode === null) {
      try {
        process.kill(-run.child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      for (const m of run.output().matchAll(/\(pid (\d+),/g))
        if (alive(Number(m[1]))) process.kill(Number(m[1]), 'SIGTERM');
    }
    occupied?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(
    'runs an embedded PostgreSQL and a local redis-server, serves a conversation on them, and stops them on SIGTERM',
    async () => {
      // Where npm start looks for them: a free port for PostgreSQL (the embedded server takes it), an occupied one
      // for Redis (its redis-server gets another).
      const pgPort = await freePort();
      occupied = await occupiedPort();
      const prefix = `t${randomBytes(5).toString('hex')}`;
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        CHATGRAPH_PROBE_DATABASE_URL: `postgresql://postgres@127.0.0.1:${pgPort}`,
        CHATGRAPH_PROBE_REDIS_URL: `redis://127.0.0.1:${occupied.port}`,
        DB_NAME_PREFIX: prefix,
        LOG_LEVEL: 'warn',
      };
      delete env.DATABASE_URL;
      delete env.REDIS_URL;
      // Each service's admin port is its port + 5000 (a worker's is its port): both must be free.
      for (const s of SERVICES) env[s.port.key] = String(await freePortPair(s.admin.default - s.port.default));
      env.WEB_PORT = String(await freePort());

      run = runCommand('npm', ['start'], env, dir);
      await run.waitFor('chatgraph is up');
      const out = run.output();
      const pg = out.match(
        /^No PostgreSQL answers at postgresql:\/\/postgres@127\.0\.0\.1:(\d+) and DATABASE_URL is unset: started an embedded PostgreSQL [\d.]+ at (postgresql:\/\/postgres@127\.0\.0\.1:(\d+)) \(pid (\d+), data in \.data\/postgres\b/m,
      );
      const redis = out.match(
        /^No Redis answers at redis:\/\/127\.0\.0\.1:(\d+) and REDIS_URL is unset: started a local redis-server \(no persistence\) at redis:\/\/127\.0\.0\.1:(\d+) \(pid (\d+),/m,
      );
      if (!pg || !redis) throw new Error(`npm start did not say what it started:\n${out}`);
      expect(Number(pg[1])).toBe(pgPort);
      expect(Number(pg[3])).toBe(pgPort);
      expect(Number(redis[1])).toBe(occupied.port);
      expect(Number(redis[2])).not.toBe(occupied.port);
      const embeddedUrl = pg[2]!;
      const servers = [Number(pg[4]), Number(redis[3])];
      const postmasterPid = path.join(dir, '.data', 'postgres', 'postmaster.pid');
      const postmaster = Number(fs.readFileSync(postmasterPid, 'utf8').split('\n')[0]);
      expect([...servers, postmaster].every(alive)).toBe(true);

      // A conversation through the gateway.
      const url = `http://127.0.0.1:${env.GATEWAY_PORT}/graphql`;
      const alice = await signUp(url, 'Alice');
      const bob = await signUp(url, 'Bob');
      const chat = await gatewayRequest<{ createDirectChat: { id: string } }>(
        url,
        alice.token,
        'mutation($u: ID!) { createDirectChat(userId: $u) { id } }',
        { u: bob.id },
      );
      expect(chat.errors).toBeUndefined();
      const chatId = chat.data!.createDirectChat.id;
      const sent = await gatewayRequest(
        url,
        alice.token,
        'mutation($c: ID!, $t: String!, $m: String!) { sendMessage(chatId: $c, text: $t, clientMessageId: $m) { seq } }',
        { c: chatId, t: 'Hello from a bare machine', m: 'bare-1' },
      );
      expect(sent.errors).toBeUndefined();
      const read = await gatewayRequest<{ chat: { messages: { nodes: unknown[] } } }>(
        url,
        bob.token,
        'query($c: ID!) { chat(id: $c) { messages(last: 5) { nodes { text author { displayName } } } } }',
        { c: chatId },
      );
      expect(read.errors).toBeUndefined();
      expect(read.data!.chat.messages.nodes).toEqual([
        { text: 'Hello from a bare machine', author: { displayName: 'Alice' } },
      ]);

      // Every shard database (and the control database holding the topology) is on the embedded server, none on the
      // one at the configuration's default address.
      const config = loadConfig({});
      const shards = [
        ...SHARDED_SERVICES.flatMap((service) =>
          shardMapFor({ ...config, DB_NAME_PREFIX: prefix }, service).shards.map((s) => s.database),
        ),
        `${prefix}_control`,
      ].sort();
      expect(await databasesNamed(embeddedUrl, prefix)).toEqual(shards);
      if (await answers(config.DATABASE_URL)) expect(await databasesNamed(config.DATABASE_URL, prefix)).toEqual([]);

      // One SIGTERM to `npm start`: a clean exit, and the servers it started are gone with it.
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      expect(run.output()).toMatch(/^Stopped an embedded PostgreSQL [\d.]+ \(exit code 0\)\.$/m);
      expect(run.output()).toMatch(/^Stopped a local redis-server \(no persistence\) \(exit code 0\)\.$/m);
      expect([...servers, postmaster].filter(alive)).toEqual([]);
      expect(fs.existsSync(postmasterPid)).toBe(false);
      expect(await answers(embeddedUrl)).toBe(false);
    },
    TIMEOUT_MS,
  );
});
