// The servers `npm start` runs itself when a backing service does not answer (scripts/backing): the embedded
// PostgreSQL keeps its data from one start to the next and, under root, runs as an unprivileged user; a backing
// service the manifest may list later (RabbitMQ) is provided through the same mechanism, as a node of its own that
// leaves the machine's node alone. bareMachine.test.ts runs them through `npm start` itself.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from '@chatgraph/testing';
import postgres from '../../scripts/backing/postgres';
import rabbitmq from '../../scripts/backing/rabbitmq';
import { provideBackingServices } from '../../scripts/backing/backingServices';

/** A folder the `postgres` user can reach when the tests run as root (mkdtemp makes it owner-only). */
function dataFolder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-backing-'));
  fs.chmodSync(dir, 0o755);
  return dir;
}

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new Client({ connectionString: `${url}/postgres` });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

/** The real user id a process runs as (Linux). */
function uidOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
}

describe('embedded PostgreSQL', () => {
  let dir: string;
  beforeAll(() => {
    dir = dataFolder();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps its data from one start to the next, and never runs the server as root', async () => {
    const port = await freePort();
    const first = await postgres.startLocal({ dataDir: dir, port });
    try {
      await query(first.url, 'CREATE TABLE kept (note text); INSERT INTO kept VALUES ($$still here$$)');
      const postmaster = Number(fs.readFileSync(path.join(first.data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      expect(uidOf(postmaster)).not.toBe(0);
    } finally {
      expect(await first.stop()).toEqual({ code: 0, killed: false });
    }
    expect(await postgres.probe(first.url, 1000)).toMatch(/ECONNREFUSED/);

    const second = await postgres.startLocal({ dataDir: dir, port });
    try {
      expect(await query(second.url, 'SELECT note FROM kept')).toEqual([{ note: 'still here' }]);
    } finally {
      expect(await second.stop()).toEqual({ code: 0, killed: false });
    }
  });
});

const rabbitInstalled = rabbitmq.localUnavailable() === undefined;
if (!rabbitInstalled)
  console.warn('rabbitmq-server is not installed: its test is SKIPPED (apt-get install -y rabbitmq-server)');

describe('a backing service provided through its launcher', () => {
  (rabbitInstalled ? it : it.skip)(
    'runs a RabbitMQ node of its own where none answers, and stops it; the machine node is left alone',
    async () => {
      const dir = dataFolder();
      const machine = 'amqp://guest:guest@127.0.0.1:5672';
      const machineAnswered = (await rabbitmq.probe(machine, 2000)) === undefined;
      const port = await freePort();
      const lines: string[] = [];
      try {
        const provided = await provideBackingServices({
          services: [{ name: 'rabbitmq', label: 'RabbitMQ', urlKey: 'AMQP_URL' }],
          env: { CHATGRAPH_PROBE_AMQP_URL: `amqp://guest:guest@127.0.0.1:${port}` },
          dataDir: dir,
          log: (line) => lines.push(line),
        });
        expect(provided.ok).toBe(true);
        expect(provided.env).toEqual({ AMQP_URL: `amqp://guest:guest@127.0.0.1:${port}` });
        expect(lines.join('\n')).toContain(`No RabbitMQ answers at amqp://guest:***@127.0.0.1:${port}`);
        expect(await rabbitmq.probe(provided.env.AMQP_URL!, 2000)).toBeUndefined();
        expect(await provided.stop()).toBe(true);
        expect(await rabbitmq.probe(provided.env.AMQP_URL!, 2000)).toBeDefined();
        if (machineAnswered) expect(await rabbitmq.probe(machine, 2000)).toBeUndefined();
        // Nothing of the node is left running: no process started from its folder.
        const left = spawnSync('pgrep', ['-f', dir], { encoding: 'utf8' }).stdout.trim();
        expect(left).toBe('');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
    120_000,
  );
});
