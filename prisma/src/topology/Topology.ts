import fs from 'node:fs';
import { z } from 'zod';
import { ShardMap, type PhysicalShard } from '@chatgraph/ids';

/** The services that own sharded databases. */
export type ShardedService = 'users' | 'chats' | 'notifications';
const SERVICES: readonly ShardedService[] = ['users', 'chats', 'notifications'];

const postgresUrl = z
  .string()
  .url()
  .refine((u) => /^postgres(ql)?:$/.test(new URL(u).protocol), 'must be a postgres:// or postgresql:// URL');

const serverSchema = z
  .object({
    /** The primary, without a database: `postgresql://postgres@10.0.0.5:5432`. */
    url: postgresUrl,
    /** Streaming replicas of the whole server (the same databases), read-only. */
    replicas: z.array(postgresUrl).default([]),
  })
  .strict();

const shardSchema = z
  .object({
    database: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'a lower-case database name'),
    from: z.number().int().min(0),
    to: z.number().int().min(0),
    server: z.string().min(1),
  })
  .strict();

/** The document a topology file (and every stored version) holds. */
export const topologySchema = z
  .object({
    version: z.number().int().min(1),
    servers: z.record(z.string().regex(/^[\w.:-]{1,64}$/, 'a server name: letters, digits, . : _ -'), serverSchema),
    services: z
      .object({
        users: z.array(shardSchema).min(1),
        chats: z.array(shardSchema).min(1),
        notifications: z.array(shardSchema).min(1),
      })
      .strict(),
  })
  .strict();

export type TopologyDocument = z.infer<typeof topologySchema>;

/** Where one physical shard lives now. */
export interface ShardPlacement {
  /** The server's name in the topology. */
  server: string;
  /** The server's primary, without a database. */
  url: string;
  /** The server's replicas, without a database. */
  replicas: readonly string[];
}

/** A topology that cannot be used (bad document, ranges with holes, unknown servers). */
export class TopologyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopologyError';
  }
}

/** What {@link Topology.fromConfig} reads. */
export interface TopologyConfig {
  DATABASE_URL: string;
  DB_NAME_PREFIX: string;
  USERS_SHARDS: number;
  CHATS_SHARDS: number;
  NOTIFICATIONS_SHARDS: number;
  TOPOLOGY_FILE?: string | undefined;
}

/**
 * Where every physical shard of every service lives: named Postgres servers (a primary and its streaming replicas),
 * and per service the physical shards — a database holding a contiguous range of the 4096 logical shards — each on
 * one server. Versioned: a new placement is a new version, stored durably ({@link TopologyStore}) and announced to
 * every process, which re-routes without a restart ({@link TopologyFollower}).
 *
 * The default (no `TOPOLOGY_FILE`) is one server, `DATABASE_URL`, with `<SERVICE>_SHARDS` databases per service in
 * even ranges: exactly what a single-server install has always been.
 */
export class Topology {
  private readonly maps: Record<ShardedService, ShardMap>;

  private constructor(readonly document: TopologyDocument) {
    const maps = {} as Record<ShardedService, ShardMap>;
    for (const service of SERVICES) {
      const shards = document.services[service];
      for (const shard of shards)
        if (!document.servers[shard.server])
          throw new TopologyError(`${service} shard ${shard.database} is placed on unknown server "${shard.server}"`);
      try {
        maps[service] = new ShardMap(
          shards.map((s, index) => ({ index, database: s.database, from: s.from, to: s.to })),
        );
      } catch (err) {
        throw new TopologyError(`${service}: ${(err as Error).message}`);
      }
    }
    const seen = new Map<string, string>();
    for (const service of SERVICES)
      for (const shard of document.services[service]) {
        const key = `${document.servers[shard.server]!.url}/${shard.database}`;
        if (seen.has(key)) throw new TopologyError(`database ${shard.database} is used twice on one server`);
        seen.set(key, service);
      }
    this.maps = maps;
  }

  /** Validates a document (a parsed file or a stored version). */
  static parse(input: unknown): Topology {
    const parsed = topologySchema.safeParse(input);
    if (!parsed.success)
      throw new TopologyError(
        `invalid topology: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
      );
    return new Topology(parsed.data);
  }

  /** Reads and validates a topology file. */
  static fromFile(file: string): Topology {
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new TopologyError(`cannot read topology file ${file}: ${(err as Error).message}`);
    }
    return Topology.parse(json);
  }

  /** The topology a process starts from: `TOPOLOGY_FILE` when set, else one server with even ranges. */
  static fromConfig(config: TopologyConfig): Topology {
    if (config.TOPOLOGY_FILE) return Topology.fromFile(config.TOPOLOGY_FILE);
    const even = (service: ShardedService, count: number) =>
      ShardMap.even(config.DB_NAME_PREFIX, service, count).shards.map((s) => ({
        database: s.database,
        from: s.from,
        to: s.to,
        server: 'default',
      }));
    return Topology.parse({
      version: 1,
      servers: { default: { url: serverUrl(config.DATABASE_URL), replicas: [] } },
      services: {
        users: even('users', config.USERS_SHARDS),
        chats: even('chats', config.CHATS_SHARDS),
        notifications: even('notifications', config.NOTIFICATIONS_SHARDS),
      },
    });
  }

  get version(): number {
    return this.document.version;
  }

  /** The logical → physical shard map of a service. */
  mapFor(service: ShardedService): ShardMap {
    return this.maps[service];
  }

  /** Where physical shard `index` of a service lives. */
  placementOf(service: ShardedService, index: number): ShardPlacement {
    const shard = this.document.services[service][index];
    if (!shard) throw new TopologyError(`${service} has no physical shard ${index}`);
    const server = this.document.servers[shard.server]!;
    return { server: shard.server, url: server.url, replicas: server.replicas };
  }

  /** The physical shard of a service holding exactly the logical range `from`-`to`. */
  shardWithRange(service: ShardedService, from: number, to: number): PhysicalShard {
    const shard = this.maps[service].shards.find((s) => s.from === from && s.to === to);
    if (!shard) {
      const ranges = this.maps[service].shards.map((s) => `${s.from}-${s.to}`).join(', ');
      throw new TopologyError(`${service} has no physical shard with range ${from}-${to} (its ranges: ${ranges})`);
    }
    return shard;
  }

  /** The server named `name`, or the one whose primary is `url`. */
  serverNamed(nameOrUrl: string): string | undefined {
    if (this.document.servers[nameOrUrl]) return nameOrUrl;
    const url = /^postgres(ql)?:/.test(nameOrUrl) ? serverUrl(nameOrUrl) : undefined;
    return Object.entries(this.document.servers).find(([, s]) => s.url === url)?.[0];
  }

  /**
   * The next version with one physical shard placed on another server (added under `serverName` with `serverUrl`
   * when it is new).
   */
  withPlacement(
    service: ShardedService,
    index: number,
    server: { name: string; url?: string; replicas?: string[] },
  ): Topology {
    const doc = structuredClone(this.document);
    if (!doc.servers[server.name]) {
      if (!server.url) throw new TopologyError(`unknown server "${server.name}" (give its URL to add it)`);
      doc.servers[server.name] = { url: serverUrl(server.url), replicas: server.replicas ?? [] };
    }
    const shard = doc.services[service][index];
    if (!shard) throw new TopologyError(`${service} has no physical shard ${index}`);
    shard.server = server.name;
    doc.version = this.version + 1;
    return Topology.parse(doc);
  }

  /** The same placement as a later version number (to publish an edited file over a stored version). */
  withVersion(version: number): Topology {
    return Topology.parse({ ...structuredClone(this.document), version });
  }

  /**
   * Whether a running process can switch from this topology to `next` without a restart: the same databases with
   * the same ranges per service (placements and replicas may differ). Splitting or merging ranges is a deploy.
   */
  liveCompatibleWith(next: Topology): boolean {
    return SERVICES.every((service) => {
      const a = this.document.services[service];
      const b = next.document.services[service];
      return (
        a.length === b.length &&
        a.every((s, i) => s.database === b[i]!.database && s.from === b[i]!.from && s.to === b[i]!.to)
      );
    });
  }

  /** Every (service, shard, placement) of the topology, e.g. to migrate every shard. */
  shards(): Array<{ service: ShardedService; shard: PhysicalShard; placement: ShardPlacement }> {
    return SERVICES.flatMap((service) =>
      this.maps[service].shards.map((shard) => ({ service, shard, placement: this.placementOf(service, shard.index) })),
    );
  }

  toJSON(): TopologyDocument {
    return this.document;
  }
}

/** A Postgres URL without its database (the server part: user, host, port, options). */
export function serverUrl(url: string): string {
  const u = new URL(url);
  u.pathname = '';
  return u.toString().replace(/\/$/, '');
}
