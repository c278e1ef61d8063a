import { lsnFromKey, lsnKey, type Lsn } from './lsn';

/**
 * The request being served, as the read-your-writes bookkeeping sees it: the request scope of `@chatgraph/logging`
 * (one object per request; the subgraph server sets `viewerId` once it verified who the request acts for).
 */
export interface SessionScope {
  viewerId?: string | null;
}

/**
 * Where the WAL positions of a session's writes are kept, shared by every process of a service (see
 * {@link RedisWritePositions}).
 */
export interface WritePositions {
  /** The positions recorded for `session`, by database name. */
  get(session: string): Promise<Map<string, Lsn>>;
  /** Raises (never lowers) the positions of `session` and keeps them `ttlMs` from now. */
  raise(session: string, positions: ReadonlyMap<string, Lsn>, ttlMs: number): Promise<void>;
}

/** Read-your-writes for the viewer of each request (see {@link ReplicaReadsOptions.session}). */
export interface ReadSessionOptions {
  /** The service whose databases these are (part of the session key). */
  service: string;
  /** The current request's scope (`currentRequest` of `@chatgraph/logging`), undefined outside a request. */
  scope: () => SessionScope | undefined;
  positions: WritePositions;
}

/** The commands of an ioredis client that {@link RedisWritePositions} uses. */
export interface RedisLike {
  hgetall(key: string): Promise<Record<string, string>>;
  eval(script: string, numkeys: number, ...args: Array<string | number>): Promise<unknown>;
}

// Positions are 16 hex digits, so comparing strings compares positions (Lua numbers would lose bits).
const RAISE = `
for i = 2, #ARGV, 2 do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if (not current) or current < ARGV[i + 1] then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`;

/**
 * The positions in Redis: one hash per session (`<prefix>:ryw:<service>:<viewer>`, field = database, value = the
 * position as 16 hex digits), raised by a script (two requests of one viewer finishing out of order never lower it)
 * and expiring `ttlMs` after the session's last write.
 */
export class RedisWritePositions implements WritePositions {
  constructor(
    private readonly redis: RedisLike,
    private readonly prefix: string,
  ) {}

  private key(session: string): string {
    return `${this.prefix}:ryw:${session}`;
  }

  async get(session: string): Promise<Map<string, Lsn>> {
    const fields = await this.redis.hgetall(this.key(session));
    return new Map(Object.entries(fields).map(([database, key]) => [database, lsnFromKey(key)]));
  }

  async raise(session: string, positions: ReadonlyMap<string, Lsn>, ttlMs: number): Promise<void> {
    if (positions.size === 0) return;
    const args = [...positions].flatMap(([database, lsn]) => [database, lsnKey(lsn)]);
    await this.redis.eval(RAISE, 1, this.key(session), Math.ceil(ttlMs), ...args);
  }
}

/** What one request did so far on the shards of one database set. */
export interface RequestWrites {
  /** Physical shards it wrote on (reads of these shards go to the primary for the rest of the request). */
  wrote: Set<number>;
  /** The session's recorded positions, read once per request (null: unknown, so replicas are not used). */
  positions?: Promise<Map<string, Lsn> | null>;
}

// Statements that change nothing unless they name a writing command or function.
const READ_ONLY =
  /^\s*(SELECT|SHOW|BEGIN|START\s+TRANSACTION|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|SET|RESET|DEALLOCATE|DISCARD|VALUES|WITH)\b/i;
const WRITING = /\b(INSERT|UPDATE|DELETE|MERGE|TRUNCATE|COPY|nextval|setval|chatgraph_next_id)\b/i;

/**
 * Whether a statement may write: anything but a read-only command, and any statement naming a writing command or
 * function (so `WITH ... INSERT`, `SELECT ... FOR UPDATE` or a column default calling `nextval` count). Errs on the
 * side of "writes": a read taken for a write only sends that viewer's next reads of the shard to the primary.
 */
export function mayWrite(statement: string): boolean {
  return !READ_ONLY.test(statement) || WRITING.test(statement);
}

/** The text of a `pg` query argument (a string or a query config object). */
export function statementText(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg && typeof arg === 'object' && typeof (arg as { text?: unknown }).text === 'string')
    return (arg as { text: string }).text;
  return undefined;
}
