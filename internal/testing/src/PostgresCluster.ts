import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startOnFreePorts } from './freePort';

const BIN = '/usr/lib/postgresql/15/bin';

function asPostgres(args: string[]): void {
  // Postgres refuses to run as root; when the tests run as root, run its tools as the postgres user.
  const cmd = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', ...args]] : [args[0]!, args.slice(1)];
  execFileSync(cmd[0] as string, cmd[1] as string[], { stdio: 'ignore' });
}

/** A new temporary folder the postgres user owns. */
function postgresDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-pg-'));
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', dir]);
  return dir;
}

/**
 * A throwaway PostgreSQL cluster on a free port (initdb + pg_ctl in a temporary folder owned by `postgres`), for tests
 * that stop or restart Postgres, never the machine's shared server. Trust auth, user `postgres`.
 */
export class PostgresCluster {
  private constructor(
    private portNumber: number,
    private readonly dir: string,
    private readonly settings: Readonly<Record<string, string>>,
  ) {}

  /** Creates and starts a new cluster, with server `settings` (`{ wal_level: 'logical' }`) given as `-c` options. */
  static async start(settings: Readonly<Record<string, string>> = {}): Promise<PostgresCluster> {
    const dir = postgresDir();
    const cluster = new PostgresCluster(0, dir, settings);
    asPostgres([`${BIN}/initdb`, '-D', path.join(dir, 'data'), '-U', 'postgres', '-A', 'trust', '--no-sync']);
    await cluster.startOnFreePort();
    return cluster;
  }

  /** The port it listens on. */
  get port(): number {
    return this.portNumber;
  }

  /**
   * Starts the server on a free port. A free port can be taken by another process between the check and the
   * server's bind (several suites start clusters at once), so a start that fails is tried again on another one.
   */
  private async startOnFreePort(): Promise<void> {
    await startOnFreePorts(
      async () => {
        this.portNumber = await freePort();
        await this.startServer();
      },
      { attempts: 5 },
    );
  }

  /**
   * Creates and starts a streaming read replica of `primary` on a free port of its own: `pg_basebackup -R -X stream`
   * copies the primary's data and writes the standby settings (`standby.signal`, `primary_conninfo`), then the copy
   * starts as a hot standby replaying the primary's WAL. The primary needs `wal_level=replica` (the default) and a
   * replication entry in pg_hba.conf (`initdb -A trust` writes one for loopback). Stop or kill it like any cluster.
   */
  static async startReplicaOf(primary: PostgresCluster): Promise<PostgresCluster> {
    const dir = postgresDir();
    // The primary's server settings too: a standby needs some of them (max_connections...) at least as high.
    const cluster = new PostgresCluster(0, dir, primary.settings);
    asPostgres([
      `${BIN}/pg_basebackup`,
      '-h',
      '127.0.0.1',
      '-p',
      String(primary.port),
      '-U',
      'postgres',
      '-D',
      path.join(dir, 'data'),
      '-R',
      '-X',
      'stream',
      '-c',
      'fast',
      '--no-sync',
    ]);
    await cluster.startOnFreePort();
    return cluster;
  }

  /** `postgresql://postgres@127.0.0.1:<port>`. */
  get url(): string {
    return `postgresql://postgres@127.0.0.1:${this.port}`;
  }

  /** Starts the server (again, after {@link stop}) on the same port, with the same data. */
  async startServer(): Promise<void> {
    const extra = Object.entries(this.settings).map(([name, value]) => ` -c ${name}=${value}`);
    const opts = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off${extra.join('')}`;
    asPostgres([
      `${BIN}/pg_ctl`,
      '-D',
      path.join(this.dir, 'data'),
      '-o',
      opts,
      '-w',
      '-l',
      path.join(this.dir, 'log'),
      'start',
    ]);
  }

  /** Stops the server (`immediate` is a crash-like stop). */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    try {
      asPostgres([`${BIN}/pg_ctl`, '-D', path.join(this.dir, 'data'), '-m', mode, '-w', 'stop']);
    } catch {
      // already stopped
    }
  }

  /** Stops and starts the server on the same port. */
  async restart(): Promise<void> {
    await this.stop('immediate');
    await this.startServer();
  }

  /** Stops the server and removes its folder. */
  async close(): Promise<void> {
    await this.stop('immediate');
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
