/**
 * A subscription engine over two small in-process subgraphs (no HTTP), real Redis and a supergraph composed for the
 * test: `feed` owns `Subscription.ticks(room, afterSeq)` with `@live(topic: "room:{room}", authorize: "canWatch",
 * replay: "ticksSince")`, and `labels` resolves each tick's `label.text` (the plan's `rest`). The test controls
 * every answer: who may watch, the log, and how slow or broken each subgraph is.
 */
import { randomBytes } from 'node:crypto';
import { composeServices } from '@apollo/composition';
import type { GraphQLDataSource } from '@apollo/gateway';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { execute, parse, type GraphQLError, type GraphQLSchema } from 'graphql';
import { createLogger } from '@chatgraph/logging';
import { RedisEventBus } from '@chatgraph/pubsub';
import type { GatewayContext } from '../../src/auth/SubgraphDataSource';
import {
  FederatedSubscriptionEngine,
  type FederatedSubscriptionEngineOptions,
} from '../../src/subscriptions/FederatedSubscriptionEngine';
import type { LiveIterator } from '../../src/subscriptions/LiveSubscriber';
import { serializedJson } from '../../src/subscriptions/PreSerialized';
import { RedisTopicHub } from '../../src/subscriptions/RedisTopicHub';

const LIVE_LINK = `
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@composeDirective"])
    @link(url: "https://chatgraph.dev/live/v1.0", import: ["@live"])
    @composeDirective(name: "@live")
  directive @live(topic: String!, authorize: String, replay: String, access: String) on FIELD_DEFINITION
`;

/** The feed subgraph's SDL; `extra` adds fields (a reload test composes a changed supergraph). */
const feedSdl = (extra = '') => `${LIVE_LINK}
  type Label @key(fields: "id", resolvable: false) { id: ID! }
  type Tick { seq: Int! n: Int! label: Label! ${extra} }
  type Query {
    canWatch(room: ID!): Boolean!
    ticksSince(room: ID!, afterSeq: Int!, limit: Int): [Tick!]!
  }
  type Ping { at: Int! }
  type Subscription {
    ticks(room: ID!, afterSeq: Int): Tick! @live(topic: "room:{room}", authorize: "canWatch", replay: "ticksSince")
    pings(room: ID!): Ping! @live(topic: "pings:{room}", authorize: "canWatch", access: "room:{room}")
  }
`;
const LABELS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Label @key(fields: "id") { id: ID! text: String! }
`;

/** A raw event as the owner publishes it. */
export interface Tick {
  seq: number;
  n: number;
  label: { id: string };
  _reauthorize?: string[];
  /** What the publisher adds for tracing and lag (`committedAt`, ms since the epoch). */
  _meta?: { committedAt?: number };
  /** Entities the event carries (see `CarriedEntitiesDataSource`). */
  _entities?: unknown[];
}

/** What the test controls. */
export interface Behaviour {
  /** May `viewerId` watch `room`? Throw a coded error to simulate a failure. @default true */
  canWatch: (viewerId: string | null, room: string) => boolean | Promise<boolean>;
  /** Runs before each labels fetch (make it slow). */
  beforeLabels: () => Promise<void>;
  /** Events of each room's log. */
  log: Map<string, Tick[]>;
  /** Authorize calls seen, as `viewerId:room`. */
  authorizeCalls: string[];
}

class LocalDataSource implements GraphQLDataSource<GatewayContext> {
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly before: () => Promise<void> = async () => undefined,
  ) {}

  async process(options: Parameters<GraphQLDataSource<GatewayContext>['process']>[0]) {
    await this.before();
    const result = await execute({
      schema: this.schema,
      document: parse(options.request.query!),
      variableValues: options.request.variables,
      contextValue: { viewerId: options.context?.viewerId ?? null },
    });
    return { data: result.data ?? null, errors: result.errors?.map((e: GraphQLError) => e.toJSON()) };
  }
}

/** A supergraph SDL of the two test subgraphs. */
export function testSupergraph(extraTickFields = ''): string {
  const result = composeServices([
    { name: 'feed', url: 'http://feed.invalid/graphql', typeDefs: parse(feedSdl(extraTickFields)) },
    { name: 'labels', url: 'http://labels.invalid/graphql', typeDefs: parse(LABELS_SDL) },
  ]);
  if (result.errors) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.supergraphSdl;
}

/** One engine for a test, with its own Redis connections and room names. */
export class EngineHarness {
  readonly behaviour: Behaviour = {
    canWatch: () => true,
    beforeLabels: async () => undefined,
    log: new Map(),
    authorizeCalls: [],
  };
  readonly engine: FederatedSubscriptionEngine;
  readonly bus: RedisEventBus;
  private readonly hub: RedisTopicHub;
  private readonly prefix = `t${randomBytes(4).toString('hex')}`;

  constructor(options: Partial<Omit<FederatedSubscriptionEngineOptions, 'hub' | 'createServices' | 'logger'>> = {}) {
    const logger = createLogger('engine-test', 'silent');
    this.bus = new RedisEventBus({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', logger });
    this.hub = new RedisTopicHub(this.bus.channels, logger);
    const b = this.behaviour;
    const feed = buildSubgraphSchema({
      typeDefs: parse(feedSdl()),
      resolvers: {
        Query: {
          canWatch: async (_: unknown, args: { room: string }, ctx: unknown) => {
            const { viewerId } = ctx as { viewerId: string | null };
            b.authorizeCalls.push(`${viewerId}:${args.room}`);
            return b.canWatch(viewerId, args.room);
          },
          // Seq n is at index n - 1 (publish and seedLog append in order): a page is a slice, as cheap as an
          // indexed read, so a log of 100,000 events is paged in linear time.
          ticksSince: (_: unknown, args: { room: string; afterSeq: number; limit?: number }) =>
            (b.log.get(args.room) ?? []).slice(args.afterSeq, args.afterSeq + (args.limit ?? 100)),
        },
      },
    });
    const labels = buildSubgraphSchema({
      typeDefs: parse(LABELS_SDL),
      resolvers: { Label: { __resolveReference: (ref: { id: string }) => ({ id: ref.id, text: `label ${ref.id}` }) } },
    });
    this.engine = new FederatedSubscriptionEngine({
      hub: this.hub,
      logger,
      limits: { perConnection: 100, perUser: 100, perInstance: 1000, queueLimit: 100 },
      createServices: () => ({
        feed: new LocalDataSource(feed),
        labels: new LocalDataSource(labels, () => b.beforeLabels()),
      }),
      ...options,
    });
    this.engine.setSupergraph(testSupergraph());
  }

  /** A room name of this test. */
  room(name: string): string {
    return `${this.prefix}-${name}`;
  }

  /** Appends an event to a room's log and publishes it, as the owner would after commit. */
  async publish(room: string, extra: Partial<Tick> = {}): Promise<Tick> {
    const log = this.behaviour.log.get(room) ?? [];
    this.behaviour.log.set(room, log);
    const seq = log.length + 1;
    const tick: Tick = { seq, n: seq, label: { id: String(seq) }, ...extra };
    log.push(tick);
    await this.publishUntilTaken(`room:${room}`, tick);
    return tick;
  }

  /** Appends `count` events to a room's log without publishing them: what a client that was away missed. */
  seedLog(room: string, count: number): void {
    const log = this.behaviour.log.get(room) ?? [];
    this.behaviour.log.set(room, log);
    for (let i = 0; i < count; i++) {
      const seq = log.length + 1;
      log.push({ seq, n: seq, label: { id: String(seq) } });
    }
  }

  /** Publishes an event already in a room's log again (or late: see `seedLog`), as its owner would. */
  async republish(room: string, seq: number): Promise<void> {
    const tick = this.behaviour.log.get(room)?.[seq - 1];
    if (!tick) throw new Error(`no seq ${seq} in ${room}`);
    await this.publishUntilTaken(`room:${room}`, tick);
  }

  /** Publishes a ping (an ephemeral event: not in the log) to a room. */
  async ping(room: string, at: number): Promise<void> {
    await this.publishUntilTaken(`pings:${room}`, { at });
  }

  /**
   * Publishes, and again while the bus's breaker refuses it without sending (as an owner's `Reannouncer` would). On a
   * loaded machine three publishes slower than the bus's time-out open its breaker, and an event never sent would
   * leave a test waiting for it. A publish that timed out was sent, so it is not repeated (a second copy would
   * execute again and upset counts of executions).
   */
  private async publishUntilTaken(topic: string, payload: unknown): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const refusedBefore = this.bus.stats.refusedByBreaker;
      if (await this.bus.publish(topic, payload)) return;
      if (this.bus.stats.refusedByBreaker === refusedBefore) return;
      if (attempt === 50) throw new Error(`the publish breaker refused ${topic} ${attempt} times`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Subscribes to a room's pings as `viewerId`. */
  subscribePings(room: string, viewerId: string): Promise<LiveIterator | readonly GraphQLError[]> {
    return this.engine.subscribe({
      document: parse('subscription($r: ID!) { pings(room: $r) { at } }'),
      variables: { r: room },
      connection: {},
      viewerId,
    });
  }

  /** Subscribes to a room as `viewerId` on `connection`. */
  subscribe(
    room: string,
    viewerId: string,
    connection: object = {},
    options: { afterSeq?: number; selection?: string } = {},
  ): Promise<LiveIterator | readonly GraphQLError[]> {
    const selection = options.selection ?? 'seq label { text }';
    return this.engine.subscribe({
      document: parse(`subscription($r: ID!, $a: Int) { ticks(room: $r, afterSeq: $a) { ${selection} } }`),
      variables: { r: room, a: options.afterSeq ?? null },
      connection,
      viewerId,
    });
  }

  async close(): Promise<void> {
    this.engine.dispose();
    this.hub.clear();
    await this.bus.close();
  }
}

/** The iterator, or a failure naming the errors. */
export function live(result: LiveIterator | readonly GraphQLError[]): LiveIterator {
  if (Array.isArray(result)) throw new Error(`subscribe refused: ${result.map((e) => e.message).join('; ')}`);
  return result as LiveIterator;
}

/** The code of the first error of a refused subscribe. */
export function refusal(result: LiveIterator | readonly GraphQLError[]): unknown {
  return Array.isArray(result) ? (result as readonly GraphQLError[])[0]?.extensions?.code : 'subscribed';
}

/** The next result of a live iterator, parsed. */
export async function nextResult(it: LiveIterator): Promise<{ data?: any; errors?: any[] }> {
  const r = await it.next();
  if (r.done) throw new Error('the subscription completed');
  return JSON.parse(serializedJson(r.value)!);
}

/** Polls `check` until it holds. */
export async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
