import { z } from 'zod';
import { SERVICES, SUBGRAPHS, type PortKey, type UrlKey } from '@chatgraph/manifest';
import { emailEnv } from './emailEnv';
import { pipelineEnv } from './pipelineEnv';
import { bool, positiveInt, url } from './schemaParts';
import { integrationsEnv } from './integrationsEnv';
import { limitsEnv } from './limitsEnv';
import { isLoopbackHost } from './isLoopbackHost';
import { resolveSurface, surfaceEnv, type Surface } from './surface';

/** Raised at start when the environment holds a value that cannot be used; lists every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const DEV_JWT_SECRET = 'chatgraph-dev-jwt-secret-change-me-0123456789';
const DEV_IDENTITY_SECRET = 'chatgraph-dev-identity-secret-change-me-0123456789';

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const secret = (fallback: string) => z.string().min(32, 'must be at least 32 characters').default(fallback);

/** `<SERVICE>_PORT` of every service in the manifest, defaulting to the port the manifest gives it. */
const servicePorts = Object.fromEntries(SERVICES.map((s) => [s.port.key, port(s.port.default)])) as Record<
  PortKey,
  ReturnType<typeof port>
>;
/** One URL, or several separated by commas (the replicas of a subgraph). */
const urlList = (protocols: string[]) =>
  z.string().refine(
    (v) =>
      v.split(',').every((one) => {
        try {
          return protocols.includes(new URL(one.trim()).protocol);
        } catch {
          return false;
        }
      }),
    `must be one URL, or several separated by commas, each starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
  );
/**
 * `<SUBGRAPH>_URL` of every subgraph, one URL per replica separated by commas: unset means loopback on its port
 * (resolved in {@link loadConfig}).
 */
const subgraphUrls = Object.fromEntries(
  SUBGRAPHS.map((s) => [s.graphql.urlKey, urlList(['http:', 'https:']).optional()]),
) as Record<UrlKey, z.ZodOptional<ReturnType<typeof urlList>>>;

/** How logs are written: one JSON object per line (production, pipes) or readable lines (a terminal). */
export type LogFormat = 'json' | 'pretty';

/**
 * Every environment variable chatgraph reads, with its default. The defaults run the whole stack on one machine with
 * PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 and no configuration at all.
 */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Unset: `pretty` in development when stdout is a terminal, `json` otherwise (see {@link loadConfig}). */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  /**
   * Base URL of an OTLP/HTTP collector (spans go to `<url>/v1/traces`). Unset: tracing records nothing (trace ids
   * still reach logs and other services).
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: url(['http:', 'https:']).optional(),
  /** Share of new traces recorded, 0…1 (a caller's sampled `traceparent` is always followed). */
  OTEL_TRACES_SAMPLER_RATIO: z.coerce.number().min(0).max(1).default(1),
  /** How long finished spans wait to be exported in one batch, in ms. */
  OTEL_BSP_SCHEDULE_DELAY: positiveInt(5000),
  HOST: z.string().min(1).default('127.0.0.1'),
  ...servicePorts,
  ...subgraphUrls,
  DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgresql://postgres@127.0.0.1:5432'),
  DB_NAME_PREFIX: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,30}$/, 'must be lower-case letters, digits and _ (max 31), starting with a letter')
    .default('chatgraph'),
  DB_POOL_SIZE: positiveInt(10),
  /**
   * Read replicas of the DATABASE_URL server (streaming standbys holding the same databases), comma-separated server
   * URLs without a database. Unset: every read runs on the primary.
   */
  DATABASE_REPLICA_URLS: urlList(['postgres:', 'postgresql:']).optional(),
  /** A replica further behind its primary than this is skipped by reads until it caught up. */
  REPLICA_MAX_LAG_MS: positiveInt(1000),
  /** How often each replica's lag is probed. */
  REPLICA_PROBE_MS: z.coerce.number().int().min(50).max(10_000).default(250),
  USERS_SHARDS: z.coerce.number().int().min(1).max(4096).default(2),
  CHATS_SHARDS: z.coerce.number().int().min(1).max(4096).default(4),
  /** Notifications databases (sharded by recipient). */
  NOTIFICATIONS_SHARDS: z.coerce.number().int().min(1).max(4096).default(2),
  /**
   * A topology file placing every service's shards on named Postgres servers (with replicas); see
   * docs/operations.md. Unset: one server (`DATABASE_URL`) holding `<SERVICE>_SHARDS` databases per service. Either
   * way it only seeds the control database; the stored version is the one every process follows.
   */
  TOPOLOGY_FILE: z.string().min(1).optional(),
  /** How often a process checks the control database for a topology version it was not told of (ms). */
  TOPOLOGY_POLL_MS: positiveInt(30_000),
  /** How long a request waits for a shard fenced by a move before failing with SERVICE_UNAVAILABLE (ms). */
  SHARD_FENCE_WAIT_MS: positiveInt(10_000),
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  /**
   * Redis Cluster seed nodes, `host:port` separated by commas. Set, every process talks to the cluster (ioredis
   * `Cluster`, sharded pub/sub) instead of the single Redis at `REDIS_URL`; unset (the default), single node.
   */
  REDIS_CLUSTER_NODES: z
    .string()
    .regex(/^\s*[^\s,:]+:\d{1,5}\s*(,\s*[^\s,:]+:\d{1,5}\s*)*$/, 'must be host:port, or several separated by commas')
    .optional(),
  JWT_SECRET: secret(DEV_JWT_SECRET),
  JWT_KEY_ID: z.string().min(1).default('k1'),
  JWT_PREVIOUS_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  JWT_PREVIOUS_KEY_ID: z.string().min(1).optional(),
  JWT_PREVIOUS_KEY_UNTIL: z.iso.datetime({ offset: true }).optional(),
  JWT_ISSUER: z.string().min(1).default('chatgraph'),
  JWT_AUDIENCE: z.string().min(1).default('chatgraph-api'),
  /** Lifetime of an access token; sessions last longer through refresh tokens (see REFRESH_*). */
  JWT_TTL_SECONDS: positiveInt(900),
  /** A session (its refresh tokens) ends this long after sign-in, however active (absolute expiry). */
  REFRESH_TTL_DAYS: positiveInt(30),
  /** A session ends when its refresh token was not used for this long (idle expiry). */
  REFRESH_IDLE_DAYS: positiveInt(14),
  /**
   * A refresh token replaced less than this long ago is refused without revoking its session (a client's own retry or
   * a second tab racing the first); later, presenting it again counts as theft and revokes the session.
   */
  REFRESH_REUSE_GRACE_SECONDS: z.coerce.number().int().min(0).max(300).default(10),
  GATEWAY_IDENTITY_SECRET: secret(DEV_IDENTITY_SECRET),
  /** log2 of scrypt's N for new password hashes (users); old hashes keep their own and are upgraded on logIn. */
  PASSWORD_HASH_COST: z.coerce.number().int().min(10).max(20).default(15),
  PRESENCE_TTL_SECONDS: positiveInt(60),
  PRESENCE_HEARTBEAT_SECONDS: positiveInt(30),
  PRESENCE_SWEEP_INTERVAL_MS: positiveInt(1000),
  INTROSPECTION: bool(true),
  /**
   * The gateway serves queries and mutations Apollo Server has already validated without its request pipeline (same
   * checks, same responses); false sends every request through Apollo Server.
   */
  DIRECT_EXECUTION: bool(true),
  /**
   * Identical query fetches in flight at once (same subgraph, identity and body) share one subgraph request, never
   * across a mutation sent or an event received by the same gateway; false: every fetch sends its own.
   */
  SUBGRAPH_FETCH_SHARING: bool(true),
  SUPERGRAPH_PATH: z.string().optional(),
  SUPERGRAPH_POLL_MS: z.coerce.number().int().min(0).default(0),
  SUBSCRIPTIONS_PER_CONNECTION: positiveInt(100),
  SUBSCRIPTIONS_PER_USER: positiveInt(500),
  SUBSCRIPTIONS_PER_INSTANCE: positiveInt(100000),
  SUBSCRIBER_QUEUE_LIMIT: positiveInt(1000),
  /**
   * How long a live event whose predecessor (seq - 1) has not arrived waits for it before subscribers read the gap
   * from the log; publishes of one chat's concurrent sends can reach Redis out of order. 0 turns the window off.
   */
  LIVE_REORDER_WINDOW_MS: z.coerce.number().int().min(0).max(10_000).default(100),
  /**
   * Live events of one group of identical subscriptions (one user's notifications, one chat's events on an instance)
   * executed at once, their fetches in flight together; delivery stays in order. 1 executes them one by one.
   */
  LIVE_GROUP_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  /** Processes of each subgraph `npm start` runs (scripts/stackProcesses.js); services read the URLs it passes. */
  SUBGRAPH_REPLICAS: z.coerce.number().int().min(1).max(9).default(1),
  SUBGRAPH_BALANCING: z.enum(['round-robin', 'least-outstanding', 'consistent-hash']).default('least-outstanding'),
  SUBGRAPH_TIMEOUT_MS: positiveInt(5000),
  /** Entities the gateway's entity cache keeps at most (user profiles); 0 turns the cache off. */
  ENTITY_CACHE_MAX: z.coerce.number().int().min(0).default(100_000),
  /** The longest an entity is served from the cache, whether or not a change was announced (the safety net). */
  ENTITY_CACHE_TTL_MS: positiveInt(60_000),
  SUBGRAPH_MAX_CONCURRENT: positiveInt(256),
  SUBGRAPH_MAX_QUEUED: z.coerce.number().int().min(0).default(1024),
  BREAKER_FAILURES: positiveInt(5),
  BREAKER_HALF_OPEN_MS: positiveInt(2000),
  MAX_QUERY_DEPTH: positiveInt(12),
  MAX_QUERY_ALIASES: positiveInt(50),
  // A page of 100 messages with their mentions and reactions (lists counted at QUERY_DEFAULT_LIST_SIZE) costs about
  // 22,600 and the SDK's chat list at 100 chats about 35,700; the 143-byte query asking for 10^8 nodes stays far out.
  MAX_QUERY_COST: positiveInt(50_000),
  QUERY_DEFAULT_LIST_SIZE: positiveInt(20),
  SHUTDOWN_GRACE_MS: positiveInt(10000),
  ...limitsEnv,
  ...surfaceEnv,
  ...integrationsEnv,
  ...emailEnv,
  ...pipelineEnv,
  /** The chats service's bound on its block checks (direct-chat sends, adding members); 0 asks every time. */
  CHATS_BLOCK_CACHE_MS: z.coerce.number().int().min(0).default(30_000),
});

export type Env = z.infer<typeof envSchema>;

/** The validated configuration of every chatgraph process: every subgraph URL and the log format resolved. */
export interface Config extends Omit<Env, UrlKey | 'LOG_FORMAT' | keyof Surface>, Record<UrlKey, string>, Surface {
  LOG_FORMAT: LogFormat;
}

/** What {@link loadConfig} needs to know about the process besides its environment. */
export interface ConfigContext {
  /** Whether stdout is a terminal (picks the default LOG_FORMAT). @default process.stdout.isTTY */
  stdoutIsTTY?: boolean;
}

/**
 * Parses the environment once. Throws {@link ConfigError} naming every bad variable and what was expected.
 * The development secrets are refused in production and whenever HOST is not a loopback address.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, context: ConfigContext = {}): Config {
  // Empty strings mean "unset" so that `FOO= npm start` falls back to the default.
  const input = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const name = i.path.join('.');
        const got = env[name];
        return `${name}: ${i.message}${got !== undefined ? ` (got ${JSON.stringify(got)})` : ''}`;
      }),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];
  // The development secrets are public (they are in this repository): only a process that nobody else can reach
  // may use them. Anything listening beyond loopback, or any production process, must be given its own.
  if (e.NODE_ENV === 'production' || !isLoopbackHost(e.HOST)) {
    const why = e.NODE_ENV === 'production' ? 'in production' : `when HOST (${e.HOST}) is not a loopback address`;
    if (e.JWT_SECRET === DEV_JWT_SECRET) problems.push(`JWT_SECRET: must be set ${why}`);
    if (e.GATEWAY_IDENTITY_SECRET === DEV_IDENTITY_SECRET) problems.push(`GATEWAY_IDENTITY_SECRET: must be set ${why}`);
  }
  if ((e.JWT_PREVIOUS_SECRET === undefined) !== (e.JWT_PREVIOUS_KEY_ID === undefined))
    problems.push('JWT_PREVIOUS_SECRET and JWT_PREVIOUS_KEY_ID: set both or neither');
  if (e.JWT_PREVIOUS_KEY_ID !== undefined && e.JWT_PREVIOUS_KEY_ID === e.JWT_KEY_ID)
    problems.push('JWT_PREVIOUS_KEY_ID: must differ from JWT_KEY_ID');
  const surface = resolveSurface(e, problems);
  if ((e.VAPID_PUBLIC_KEY === undefined) !== (e.VAPID_PRIVATE_KEY === undefined))
    problems.push('VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY: set both or neither');
  // P-256 (RFC 8292): a 32-byte private key and a 65-byte uncompressed public point; a wrong length would only show as
  // every push failing.
  if (e.VAPID_PRIVATE_KEY !== undefined && Buffer.from(e.VAPID_PRIVATE_KEY, 'base64url').length !== 32)
    problems.push('VAPID_PRIVATE_KEY: must be 32 bytes, base64url-encoded (a P-256 private key)');
  if (e.VAPID_PUBLIC_KEY !== undefined && Buffer.from(e.VAPID_PUBLIC_KEY, 'base64url').length !== 65)
    problems.push('VAPID_PUBLIC_KEY: must be 65 bytes, base64url-encoded (an uncompressed P-256 public key)');
  if (problems.length) throw new ConfigError(problems);
  const urls = Object.fromEntries(
    SUBGRAPHS.map((s) => [s.graphql.urlKey, e[s.graphql.urlKey] ?? `http://127.0.0.1:${e[s.port.key]}/graphql`]),
  ) as Record<UrlKey, string>;
  // Readable lines only for a person at a terminal; anything read by a program (pipes, files, containers) gets JSON.
  const stdoutIsTTY = context.stdoutIsTTY ?? process.stdout.isTTY === true;
  const logFormat: LogFormat = e.LOG_FORMAT ?? (e.NODE_ENV === 'development' && stdoutIsTTY ? 'pretty' : 'json');
  return { ...e, ...urls, ...surface, LOG_FORMAT: logFormat };
}

/**
 * Loads the configuration for a process entry point: on a bad value prints the problems and exits with code 78
 * (EX_CONFIG) before anything starts.
 */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env, context: ConfigContext = {}): Config {
  try {
    return loadConfig(env, context);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
}

/** The replica URLs in a `<SUBGRAPH>_URL` value (one, or several separated by commas). */
export function replicaUrls(value: string): string[] {
  return value
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
}
