/**
 * Every long-running chatgraph process, once: the dev runner (`npm start`), the test harness (`ProcessStack`), the
 * bench, the configuration's port and URL variables and the gateway's supergraph composition all read this list.
 * Adding a service is adding one entry here (a subgraph to {@link SUBGRAPHS}, anything else to {@link SERVICES}).
 */

/** One process of the stack. */
export interface ServiceSpec {
  /** Process name, log prefix and `npm run start:<name>`. */
  readonly name: string;
  readonly kind: 'subgraph' | 'gateway' | 'worker';
  /** Entry point after `npm run build`, relative to the repository root. */
  readonly entry: string;
  /** Environment variable holding the port it listens on, and that variable's default. */
  readonly port: { readonly key: string; readonly default: number };
  /** Path on that port answering 200 once the process is up (and 503 while it drains). */
  readonly health: string;
  /**
   * The admin server every process runs besides its public port, on `ADMIN_HOST` (loopback by default) and
   * `ADMIN_PORT` (default: its port + {@link ADMIN_PORT_OFFSET}). It answers `paths`; load balancers never reach it.
   */
  readonly admin: { readonly default: number; readonly paths: readonly string[] };
  /** Start order: processes of phase n start once every process of the phases before answers its health path. */
  readonly phase: number;
  /** Log prefix colour in the dev runner (a chalk colour name). */
  readonly color: string;
  /** Environment variables carrying the URLs of the services this process calls (see {@link SubgraphSpec.graphql}). */
  readonly upstreams: readonly string[];
}

/** A GraphQL subgraph: a service others reach over HTTP, with the SDL the gateway composes. */
export interface SubgraphSpec extends ServiceSpec {
  readonly kind: 'subgraph';
  readonly graphql: {
    /** Environment variable carrying its `/graphql` URL for other processes (default: loopback on its port). */
    readonly urlKey: string;
    /** Its SDL file, relative to the repository root (read at run time; the gateway composes it). */
    readonly schema: string;
  };
}

/** A process's admin port is its port plus this, unless `ADMIN_PORT` says otherwise (gateway 4000 → 9000). */
export const ADMIN_PORT_OFFSET = 5000;

/** What every admin server answers: liveness, readiness, metrics (Prometheus text) and the process's counters (JSON). */
export const ADMIN_PATHS = ['/health', '/ready', '/metrics', '/stats'] as const;

const admin = (port: number) => ({ default: port + ADMIN_PORT_OFFSET, paths: ADMIN_PATHS });

/** The subgraphs, in composition order. */
export const SUBGRAPHS = [
  {
    name: 'users',
    kind: 'subgraph',
    entry: 'subgraphs/users/dist/index.js',
    port: { key: 'USERS_PORT', default: 4001 },
    health: '/health',
    admin: admin(4001),
    phase: 0,
    color: 'cyan',
    upstreams: [],
    graphql: { urlKey: 'USERS_URL', schema: 'subgraphs/users/src/schema.graphql' },
  },
  {
    name: 'chats',
    kind: 'subgraph',
    entry: 'subgraphs/chats/dist/index.js',
    port: { key: 'CHATS_PORT', default: 4002 },
    health: '/health',
    admin: admin(4002),
    phase: 1,
    color: 'magenta',
    // Checks that user ids exist before a chat stores them.
    upstreams: ['USERS_URL'],
    graphql: { urlKey: 'CHATS_URL', schema: 'subgraphs/chats/src/schema.graphql' },
  },
  {
    name: 'presence',
    kind: 'subgraph',
    entry: 'subgraphs/presence/dist/index.js',
    port: { key: 'PRESENCE_PORT', default: 4003 },
    health: '/health',
    admin: admin(4003),
    // Presence asks chats whom a viewer shares a chat with (who may see whose presence), so chats starts first.
    phase: 2,
    color: 'yellow',
    upstreams: ['CHATS_URL'],
    graphql: { urlKey: 'PRESENCE_URL', schema: 'subgraphs/presence/src/schema.graphql' },
  },
  {
    name: 'notifications',
    kind: 'subgraph',
    entry: 'subgraphs/notifications/dist/index.js',
    port: { key: 'NOTIFICATIONS_PORT', default: 4004 },
    health: '/health',
    admin: admin(4004),
    // createWebhook asks chats whether the owner is a member of each chat, and an email's verification link asks users to
    // mark the address verified, so both start first.
    phase: 2,
    color: 'blue',
    upstreams: ['CHATS_URL', 'USERS_URL'],
    graphql: { urlKey: 'NOTIFICATIONS_URL', schema: 'subgraphs/notifications/src/schema.graphql' },
  },
] as const satisfies readonly SubgraphSpec[];

/** Every process of the stack, in start order. */
export const SERVICES = [
  ...SUBGRAPHS,
  {
    name: 'gateway',
    kind: 'gateway',
    entry: 'gateway/dist/index.js',
    port: { key: 'GATEWAY_PORT', default: 4000 },
    health: '/health',
    admin: admin(4000),
    phase: 3,
    color: 'green',
    // The gateway composes every subgraph, so it calls all of them.
    upstreams: SUBGRAPHS.map((s) => s.graphql.urlKey),
  },
  {
    // Relays the chats event log to RabbitMQ and turns events into notifications and Web Push (any number of them:
    // one relay per chats shard at a time, every worker consumes). Its port serves only /health and /status.
    name: 'notifier',
    kind: 'worker',
    entry: 'workers/notifier/dist/index.js',
    port: { key: 'NOTIFIER_PORT', default: 9005 },
    health: '/health',
    // A worker takes no traffic: its one port is its admin server.
    admin: { default: 9005, paths: ADMIN_PATHS },
    phase: 1,
    color: 'white',
    // Mentions are resolved through the users subgraph.
    upstreams: ['USERS_URL'],
  },
] as const satisfies readonly ServiceSpec[];

/** Whether a service is a subgraph (has a GraphQL URL and an SDL file). */
export function isSubgraph(service: ServiceSpec): service is SubgraphSpec {
  return service.kind === 'subgraph';
}

/** A process of the stack, as listed. */
export type Service = (typeof SERVICES)[number];
/** `users`, `chats`, `presence`, `gateway`, ... */
export type ServiceName = Service['name'];
/** `USERS_PORT`, `GATEWAY_PORT`, ... */
export type PortKey = Service['port']['key'];
/** `USERS_URL`, `CHATS_URL`, ... */
export type UrlKey = (typeof SUBGRAPHS)[number]['graphql']['urlKey'];
