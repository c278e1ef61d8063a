import { Client } from 'pg';
import { withClient } from './withClient';
import { databaseUrl } from '../ShardedDatabase';
import { Topology, serverUrl } from './Topology';

// Serializes creating the control tables (two processes starting at once).
const TOPOLOGY_LOCK_KEY = 0x746f706f; // "topo"

/** A newer version was stored meanwhile (two writers): read it and decide again. */
export class TopologyConflictError extends Error {
  constructor(readonly version: number) {
    super(`topology version ${version} already exists; another change was published meanwhile`);
    this.name = 'TopologyConflictError';
  }
}

/**
 * The durable home of the topology: the control database `<prefix>_control` on the home server (`DATABASE_URL`),
 * one row per version, never updated. Processes read the newest version at start and again when a new one is
 * announced (or their poll finds one); `shards:move` records its progress here too, so an interrupted move resumes.
 */
export class TopologyStore {
  readonly database: string;

  constructor(
    private readonly homeUrl: string,
    prefix: string,
  ) {
    this.database = `${prefix}_control`;
  }

  /** The control database's URL. */
  get url(): string {
    return databaseUrl(serverUrl(this.homeUrl), this.database);
  }

  /** Creates the control database and its tables when missing (idempotent, safe to run concurrently). */
  async ensure(): Promise<void> {
    const admin = new Client({ connectionString: databaseUrl(serverUrl(this.homeUrl), 'postgres') });
    await admin.connect();
    try {
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [this.database]);
      if (!exists.rowCount)
        await admin.query(`CREATE DATABASE "${this.database}"`).catch((err: { code?: string }) => {
          if (err.code !== '42P04' && err.code !== '23505') throw err;
        });
    } finally {
      await admin.end();
    }
    await this.run(async (client) => {
      await client.query('SELECT pg_advisory_lock($1)', [TOPOLOGY_LOCK_KEY]);
      try {
        await client.query(`CREATE TABLE IF NOT EXISTS topology_versions (
          version    integer PRIMARY KEY,
          document   jsonb NOT NULL,
          note       text NOT NULL DEFAULT '',
          created_at timestamptz NOT NULL DEFAULT now()
        )`);
        await client.query(`CREATE TABLE IF NOT EXISTS shard_moves (
          id          bigserial PRIMARY KEY,
          service     text NOT NULL,
          database    text NOT NULL,
          to_server   text NOT NULL,
          step        text NOT NULL,
          detail      jsonb NOT NULL DEFAULT '{}',
          started_at  timestamptz NOT NULL DEFAULT now(),
          updated_at  timestamptz NOT NULL DEFAULT now(),
          finished_at timestamptz
        )`);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [TOPOLOGY_LOCK_KEY]);
      }
    });
  }

  /** The newest stored version, or null when none was stored yet (or the control database does not exist). */
  async latest(): Promise<Topology | null> {
    try {
      return await this.run(async (client) => {
        const { rows } = await client.query<{ document: unknown }>(
          'SELECT document FROM topology_versions ORDER BY version DESC LIMIT 1',
        );
        return rows[0] ? Topology.parse(rows[0].document) : null;
      });
    } catch (err) {
      // 3D000: no control database; 42P01: no table yet. Both mean "nothing stored": the configured topology holds.
      const code = (err as { code?: string }).code;
      if (code === '3D000' || code === '42P01') return null;
      throw err;
    }
  }

  /** Stores a new version; refuses with {@link TopologyConflictError} when that version exists already. */
  async publish(topology: Topology, note = ''): Promise<void> {
    await this.run(async (client) => {
      try {
        await client.query('INSERT INTO topology_versions (version, document, note) VALUES ($1, $2, $3)', [
          topology.version,
          JSON.stringify(topology.toJSON()),
          note,
        ]);
      } catch (err) {
        if ((err as { code?: string }).code === '23505') throw new TopologyConflictError(topology.version);
        throw err;
      }
    });
  }

  /**
   * The topology to follow. The configuration says which databases hold which ranges; the store says where they
   * are now (moves change only that). So the stored version wins when it has the configured layout and a version at
   * least the configured one; otherwise the configured topology is stored as the next version — the first process
   * or migration run of an install seeds the control database this way, and a deploy with an edited topology file
   * (or new shard counts) publishes it.
   */
  async current(configured: Topology): Promise<Topology> {
    const stored = await this.latest();
    if (stored && stored.version >= configured.version && stored.liveCompatibleWith(configured)) return stored;
    const next = stored ? configured.withVersion(Math.max(stored.version + 1, configured.version)) : configured;
    try {
      await this.publish(next, stored ? 'configured layout' : 'initial');
    } catch (err) {
      if (!(err instanceof TopologyConflictError)) throw err;
    }
    return (await this.latest()) ?? configured;
  }

  /** Runs `work` on a connection to the control database. */
  run<T>(work: (client: Client) => Promise<T>): Promise<T> {
    return withClient(this.url, work);
  }
}
