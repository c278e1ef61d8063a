import {
  execute,
  GraphQLError,
  Kind,
  type DocumentNode,
  type GraphQLFormattedError,
  type OperationDefinitionNode,
} from 'graphql';
import { getArgumentValues, getVariableValues } from 'graphql/execution/values';
import { executeQueryPlan, type GraphQLDataSource } from '@apollo/gateway';
import { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types';
import type { QueryPlan } from '@apollo/query-planner';
import type { OperationContext } from '@apollo/gateway/dist/operationContext';
import type { GatewayGraphQLRequestContext, GatewaySchemaHash } from '@apollo/server-gateway-interface';
import { isErrorCode, userError } from '@chatgraph/errors';
import type { Logger } from '@chatgraph/logging';
import type { GatewayContext } from '../auth/SubgraphDataSource';
import {
  AFTER_SEQ_ARG,
  buildSubscriptionPlan,
  EVENT_SERVICE,
  planKey,
  SEQ_ALIAS,
  type SubscriptionPlan,
} from './buildSubscriptionPlan';
import { expandTopics } from './LiveFieldRegistry';
import { LiveSubscriber, type Delivery, type SubscriberStats } from './LiveSubscriber';
import { preSerialized, type PreSerialized } from './PreSerialized';
import type { RedisTopicHub } from './RedisTopicHub';
import { SubscriptionGroup } from './SubscriptionGroup';
import { SupergraphRuntime } from './SupergraphRuntime';
import { formatErrors } from './formatResult';

/** Caps on live subscriptions. */
export interface SubscriptionLimits {
  /** @default 100 */
  perConnection: number;
  /** @default 500 */
  perUser: number;
  /** @default 100000 */
  perInstance: number;
  /** Events queued for one subscriber before it is closed as a slow consumer. @default 1000 */
  queueLimit: number;
}

/** Options of {@link FederatedSubscriptionEngine}. */
export interface FederatedSubscriptionEngineOptions {
  hub: RedisTopicHub;
  /** Data sources by subgraph name, for a supergraph (rebuilt on reload). */
  createServices: (runtime: SupergraphRuntime) => Record<string, GraphQLDataSource>;
  limits: SubscriptionLimits;
  logger: Logger;
  /** Events fetched per replay page. @default 100 */
  replayPageSize?: number;
}

/** One client connection, as the engine counts it. */
export interface LiveConnection {
  viewerId: string;
  subscriptions: number;
}

/** A subscribe request from the WebSocket layer (document already parsed and validated against the API schema). */
export interface SubscribeRequest {
  document: DocumentNode;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
  connection: LiveConnection;
}

/** Counters exposed for tests, benchmarks and /metrics. */
export interface EngineStats extends SubscriberStats {
  eventExecutions: number;
  replays: number;
  /** Subscriptions holding a slot (counted from the start of subscribe, before authorize and attach). */
  activeSubscriptions: number;
  /** Subscriptions authorized and attached to their topics: receiving events. */
  liveSubscriptions: number;
  groups: number;
  topics: number;
}

const MAX_CACHED_PLANS = 1000;

/**
 * Federated subscriptions on top of `@apollo/gateway`'s building blocks (DESIGN.md section 4): validates against the
 * API schema, plans with `QueryPlanner`, authorizes with the owning subgraph as the user, subscribes to the `@live`
 * topic once per instance, groups identical subscriptions, runs the plan's `rest` with `executeQueryPlan` once per
 * group per event, and gives every subscriber each event exactly once and in order (resume + gap repair).
 */
export class FederatedSubscriptionEngine {
  private runtime: SupergraphRuntime | undefined;
  private services: Record<string, GraphQLDataSource> = {};
  private readonly plans = new Map<string, SubscriptionPlan>();
  private readonly groups = new Map<string, SubscriptionGroup>();
  private readonly perUser = new Map<string, number>();
  private active = 0;
  private readonly counters = { eventExecutions: 0, replays: 0 };
  private readonly subscriberStats: SubscriberStats = {
    delivered: 0,
    duplicatesDropped: 0,
    gapsDetected: 0,
    backfilled: 0,
    slowConsumersClosed: 0,
  };
  private readonly replayPageSize: number;
  private readonly stopRepairOnReconnect: () => void;

  constructor(private readonly options: FederatedSubscriptionEngineOptions) {
    this.replayPageSize = options.replayPageSize ?? 100;
    this.stopRepairOnReconnect = options.hub.onResubscribed(() => this.repairAll());
  }

  /** The API schema clients validate subscriptions against (undefined before the first supergraph). */
  get apiSchema() {
    return this.runtime?.apiGraphQLSchema;
  }

  /** Counters. */
  stats(): EngineStats {
    return {
      ...this.subscriberStats,
      ...this.counters,
      activeSubscriptions: this.active,
      liveSubscriptions: [...this.groups.values()].reduce((n, g) => n + g.subscribers.size, 0),
      groups: this.groups.size,
      topics: this.options.hub.size,
    };
  }

  /**
   * Loads a supergraph (at start and on every reload). A changed supergraph closes every live subscription with
   * `SUBSCRIPTION_RESTART` (after what is already queued): clients resume with `afterSeq` under the new schema.
   */
  setSupergraph(sdl: string): void {
    if (this.runtime?.sdl === sdl) return;
    const runtime = new SupergraphRuntime(sdl);
    const hadRuntime = this.runtime !== undefined;
    this.runtime = runtime;
    this.services = this.options.createServices(runtime);
    this.plans.clear();
    if (hadRuntime) this.closeAll('The gateway loaded a new schema; resubscribe with afterSeq to resume.');
  }

  /** Ends every live subscription with `SUBSCRIPTION_RESTART` (reload, shutdown). */
  closeAll(message = 'The gateway is restarting; resubscribe with afterSeq to resume.'): void {
    for (const group of [...this.groups.values()]) {
      for (const subscriber of [...group.subscribers]) subscriber.end(userError('SUBSCRIPTION_RESTART', message));
    }
  }

  /** Stops listening for reconnects and closes every subscription. */
  dispose(): void {
    this.stopRepairOnReconnect();
    this.closeAll();
  }

  private plan(document: DocumentNode, operationName: string | undefined): SubscriptionPlan {
    const runtime = this.requireRuntime();
    const key = planKey(document, operationName);
    let plan = this.plans.get(key);
    if (!plan) {
      plan = buildSubscriptionPlan(runtime, document, operationName, key);
      if (this.plans.size >= MAX_CACHED_PLANS) this.plans.delete(this.plans.keys().next().value!);
      this.plans.set(key, plan);
    }
    return plan;
  }

  private requireRuntime(): SupergraphRuntime {
    if (!this.runtime)
      throw userError('SERVICE_UNAVAILABLE', 'The gateway has not loaded its schema yet; retry shortly.');
    return this.runtime;
  }

  /**
   * Starts a live subscription. Returns the iterator graphql-ws consumes, or the errors to send instead (refused,
   * invalid, over a limit).
   */
  async subscribe(request: SubscribeRequest): Promise<AsyncIterableIterator<PreSerialized> | readonly GraphQLError[]> {
    try {
      return await this.start(request);
    } catch (err) {
      if (err instanceof GraphQLError && err.extensions?.code) return [err];
      this.options.logger.error({ err }, 'subscribe failed');
      return [userError('INTERNAL_SERVER_ERROR', 'Internal server error')];
    }
  }

  private async start(
    request: SubscribeRequest,
  ): Promise<AsyncIterableIterator<PreSerialized> | readonly GraphQLError[]> {
    const { connection } = request;
    const runtime = this.requireRuntime();
    const plan = this.plan(request.document, request.operationName ?? undefined);
    const coerced = getVariableValues(
      runtime.apiGraphQLSchema,
      plan.operation.variableDefinitions ?? [],
      request.variables ?? {},
    );
    if (coerced.errors) return coerced.errors.map((e) => userError('BAD_USER_INPUT', e.message));
    const variables = coerced.coerced;
    const fieldDef = runtime.apiGraphQLSchema.getSubscriptionType()!.getFields()[plan.fieldName]!;
    const rootNode = plan.operation.selectionSet.selections[0]!;
    if (rootNode.kind !== Kind.FIELD) throw new Error('unreachable: plans have a field root');
    const args = getArgumentValues(fieldDef, rootNode, variables);
    const after = args[AFTER_SEQ_ARG];
    if (typeof after === 'number' && after < 0)
      throw userError('BAD_USER_INPUT', 'afterSeq must be 0 or more.', { field: AFTER_SEQ_ARG });
    const afterSeq = typeof after === 'number' ? after : null;

    // Take the slot before any await, so concurrent subscribes on one connection cannot all pass the check.
    this.checkLimits(connection);
    this.countUp(connection);
    let group: SubscriptionGroup;
    try {
      if (plan.authorize) await this.authorize(plan, args, connection.viewerId);
      this.assertSameRuntime(runtime);
      group = await this.joinGroup(plan, args, variables, connection.viewerId);
      if (this.runtime !== runtime) {
        if (group.subscribers.size === 0) this.leaveGroupIfEmpty(group);
        this.assertSameRuntime(runtime);
      }
    } catch (err) {
      this.countDown(connection);
      throw err;
    }
    const subscriber: LiveSubscriber = new LiveSubscriber({
      viewerId: connection.viewerId,
      queueLimit: this.options.limits.queueLimit,
      afterSeq,
      replay: plan.replay ? (seq) => this.replay(plan, variables, { viewerId: connection.viewerId }, seq) : undefined,
      stats: this.subscriberStats,
      onRepairError: (err) => this.options.logger.warn({ err: (err as Error).message }, 'live backfill failed'),
      onEnd: () => {
        this.countDown(connection);
        this.leaveGroup(group, subscriber);
      },
    });
    group.subscribers.add(subscriber);
    subscriber.start();
    return subscriber;
  }

  /** A reload while a subscribe was waiting: its plan belongs to the old schema. */
  private assertSameRuntime(runtime: SupergraphRuntime): void {
    if (this.runtime !== runtime)
      throw userError('SUBSCRIPTION_RESTART', 'The gateway loaded a new schema; subscribe again.');
  }

  private leaveGroup(group: SubscriptionGroup, subscriber: LiveSubscriber): void {
    group.subscribers.delete(subscriber);
    this.leaveGroupIfEmpty(group);
  }

  private leaveGroupIfEmpty(group: SubscriptionGroup): void {
    if (group.subscribers.size > 0) return;
    // Only forget the group if it is still the registered one (a failed attach may have replaced it).
    if (this.groups.get(group.key) === group) this.groups.delete(group.key);
    group.detachAll();
  }

  private checkLimits(connection: LiveConnection): void {
    const { perConnection, perUser, perInstance } = this.options.limits;
    if (connection.subscriptions >= perConnection)
      throw userError('LIMIT_EXCEEDED', `At most ${perConnection} live subscriptions per connection.`);
    if ((this.perUser.get(connection.viewerId) ?? 0) >= perUser)
      throw userError('LIMIT_EXCEEDED', `At most ${perUser} live subscriptions per user.`);
    if (this.active >= perInstance)
      throw userError(
        'LIMIT_EXCEEDED',
        'This gateway instance is at its live subscription limit; reconnect to retry elsewhere.',
      );
  }

  private countUp(connection: LiveConnection): void {
    connection.subscriptions++;
    this.active++;
    this.perUser.set(connection.viewerId, (this.perUser.get(connection.viewerId) ?? 0) + 1);
  }

  private countDown(connection: LiveConnection): void {
    connection.subscriptions--;
    this.active--;
    const n = (this.perUser.get(connection.viewerId) ?? 1) - 1;
    if (n > 0) this.perUser.set(connection.viewerId, n);
    else this.perUser.delete(connection.viewerId);
  }

  private async joinGroup(
    plan: SubscriptionPlan,
    args: Record<string, unknown>,
    variables: Record<string, unknown>,
    viewerId: string,
  ): Promise<SubscriptionGroup> {
    const { [AFTER_SEQ_ARG]: _after, ...groupArgs } = args;
    const afterSeqVariable = afterSeqVariableName(plan.operation);
    const groupVariables = Object.fromEntries(Object.entries(variables).filter(([k]) => k !== afterSeqVariable));
    const topics = expandTopics(plan.live.topic, args, viewerId);
    // The topics are part of the key: a topic of the viewer ({viewerId}) makes the group the viewer's own.
    const key = JSON.stringify([plan.key, topics, groupArgs, groupVariables, plan.viewerDependent ? viewerId : '*']);
    let group = this.groups.get(key);
    if (!group) {
      const created = new SubscriptionGroup(
        key,
        plan,
        variables,
        { viewerId: plan.viewerDependent ? viewerId : null },
        (p, raw, vars, ctx) => this.executeEvent(p, raw, vars, ctx),
        (g, userIds) => this.reauthorize(g, userIds),
        this.options.logger,
        this.options.limits.queueLimit,
      );
      // Attach to every topic before anything is read from the log: nothing published from now on can be missed.
      // Later joiners wait for the same attach.
      created.ready = (async () => {
        for (const topic of topics) created.addDetacher(await this.options.hub.attach(topic, created.onEvent));
      })();
      this.groups.set(key, created);
      created.ready.catch(() => {
        if (this.groups.get(key) === created) this.groups.delete(key);
        created.detachAll();
      });
      group = created;
    }
    await group.ready;
    return group;
  }

  private requestContext(
    variables: Record<string, unknown>,
    context: GatewayContext,
    document?: DocumentNode,
  ): GatewayGraphQLRequestContext<GatewayContext> {
    const runtime = this.requireRuntime();
    const operation = document?.definitions.find(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
    );
    return {
      request: { variables },
      logger: this.options.logger,
      schema: runtime.apiGraphQLSchema,
      schemaHash: 'live' as GatewaySchemaHash,
      context,
      cache: { get: async () => undefined, set: async () => undefined, delete: async () => true },
      queryHash: '',
      document: document ?? { kind: Kind.DOCUMENT, definitions: [] },
      source: '',
      operationName: operation?.name?.value ?? null,
      operation: operation!,
      metrics: {},
      overallCachePolicy: undefined,
    };
  }

  private async runPlan(
    queryPlan: QueryPlan,
    operationContext: OperationContext,
    services: Record<string, GraphQLDataSource>,
    variables: Record<string, unknown>,
    context: GatewayContext,
    document?: DocumentNode,
  ) {
    const runtime = this.requireRuntime();
    return executeQueryPlan(
      queryPlan,
      services,
      this.requestContext(variables, context, document),
      operationContext,
      runtime.supergraphGraphQLSchema,
      runtime.apiSchema,
    );
  }

  /** Projects a raw event through the primary fetch (owner's schema), runs `rest`, serializes once. */
  private async executeEvent(
    plan: SubscriptionPlan,
    raw: unknown,
    variables: Record<string, unknown>,
    context: GatewayContext,
  ): Promise<PreSerialized> {
    this.counters.eventExecutions++;
    const eventSource: GraphQLDataSource = {
      process: async ({ request }) => {
        const projected = await execute({
          schema: plan.ownerSchema,
          document: plan.primaryDocument,
          rootValue: { [plan.fieldName]: raw },
          variableValues: request.variables,
        });
        return { data: projected.data ?? null, errors: projected.errors?.map((e) => e.toJSON()) };
      },
    };
    const result = await this.runPlan(
      plan.eventPlan,
      plan.operationContext,
      { ...this.services, [EVENT_SERVICE]: eventSource },
      variables,
      context,
    );
    const errors = formatErrors(result.errors, (err) => this.options.logger.error({ err }, 'live event error'));
    return preSerialized(
      JSON.stringify(errors ? { data: result.data ?? null, errors } : { data: result.data ?? null }),
    );
  }

  /** The events after `afterSeq` with the subscription's selection, as this viewer may see them. */
  private async replay(
    plan: SubscriptionPlan,
    variables: Record<string, unknown>,
    context: GatewayContext,
    afterSeq: number,
  ): Promise<Delivery[]> {
    const replay = plan.replay!;
    const out: Delivery[] = [];
    let after = afterSeq;
    for (;;) {
      this.counters.replays++;
      const vars: Record<string, unknown> = { _liveAfterSeq: after, _liveLimit: this.replayPageSize };
      for (const name of replay.variableNames) if (name in variables) vars[name] = variables[name];
      const result = await this.runPlan(
        replay.queryPlan,
        replay.operationContext,
        this.services,
        vars,
        context,
        replay.document,
      );
      const items = result.data?.[replay.responseKey];
      if (!Array.isArray(items)) {
        const first = result.errors?.[0];
        const code = first?.extensions?.code;
        if (isErrorCode(code) && code !== 'INTERNAL_SERVER_ERROR')
          throw userError(code, first!.message, { field: first!.extensions?.field });
        throw new Error(`replay failed: ${first?.message ?? 'no data'}`);
      }
      const errors = formatErrors(result.errors, (err) => this.options.logger.error({ err }, 'replay error'));
      items.forEach((item: Record<string, unknown>, index: number) => {
        const { [SEQ_ALIAS]: seq, ...rest } = item;
        // An error with an item index in its path belongs to that item; one without (a whole fetch failed) to all.
        const itemErrors = errors
          ?.filter((e) => typeof e.path?.[1] !== 'number' || e.path[1] === index)
          .map((e): GraphQLFormattedError =>
            typeof e.path?.[1] === 'number'
              ? { ...e, path: [plan.responseKey, ...e.path.slice(2)] }
              : { ...e, path: undefined },
          );
        const body = itemErrors?.length
          ? { data: { [plan.responseKey]: rest }, errors: itemErrors }
          : { data: { [plan.responseKey]: rest } };
        out.push({ seq: typeof seq === 'number' ? seq : undefined, payload: preSerialized(JSON.stringify(body)) });
        if (typeof seq === 'number') after = seq;
      });
      if (items.length < this.replayPageSize) return out;
    }
  }

  /** Asks the owning subgraph, as the viewer, whether the viewer may subscribe; throws FORBIDDEN (or its error). */
  private async authorize(plan: SubscriptionPlan, args: Record<string, unknown>, viewerId: string): Promise<void> {
    const auth = plan.authorize!;
    const variables = Object.fromEntries(auth.argNames.map((n) => [n, args[n]]));
    const service = this.services[plan.owner];
    if (!service) throw userError('SERVICE_UNAVAILABLE', `The ${plan.owner} service is not configured.`);
    const context: GatewayContext = { viewerId };
    const response = await service.process({
      kind: GraphQLDataSourceRequestKind.INCOMING_OPERATION,
      request: { query: auth.query, variables },
      context,
      incomingRequestContext: this.requestContext(variables, context),
    });
    if (response.data?.allowed === true) return;
    const error = response.errors?.[0];
    const code = error?.extensions?.code;
    if (
      code === 'SERVICE_UNAVAILABLE' ||
      code === 'NOT_FOUND' ||
      code === 'BAD_USER_INPUT' ||
      code === 'UNAUTHENTICATED'
    )
      throw userError(code, error!.message, { field: error!.extensions?.field });
    throw userError('FORBIDDEN', `You may not subscribe to ${plan.fieldName} with these arguments.`);
  }

  /**
   * Re-checks some users' access (an event said it may have changed). The group waits for this before delivering its
   * next event. A user refused, or whose access cannot be verified after retries, has the subscription ended.
   */
  private async reauthorize(group: SubscriptionGroup, userIds: string[]): Promise<void> {
    const rootNode = group.plan.operation.selectionSet.selections[0]!;
    const runtime = this.runtime;
    if (rootNode.kind !== Kind.FIELD || !group.plan.authorize || !runtime) return;
    let args: Record<string, unknown>;
    try {
      const fieldDef = runtime.apiGraphQLSchema.getSubscriptionType()!.getFields()[group.plan.fieldName]!;
      args = getArgumentValues(fieldDef, rootNode, group.variables);
    } catch (err) {
      this.options.logger.error({ err }, 'reauthorize: cannot read the subscription arguments');
      return;
    }
    const wanted = new Set(userIds);
    const verdicts = new Map<string, Promise<GraphQLError | null>>();
    const check = async (viewerId: string): Promise<GraphQLError | null> => {
      for (let attempt = 0; ; attempt++) {
        try {
          await this.authorize(group.plan, args, viewerId);
          return null;
        } catch (err) {
          const code = (err as GraphQLError).extensions?.code;
          if (code !== 'SERVICE_UNAVAILABLE')
            return userError('FORBIDDEN', 'Your access to this subscription was revoked.');
          if (attempt >= 3)
            return userError('SERVICE_UNAVAILABLE', 'Access could not be re-checked; resubscribe with afterSeq.');
          await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
        }
      }
    };
    for (const subscriber of [...group.subscribers]) {
      const viewerId = subscriber.viewerId;
      if (!viewerId || !wanted.has(viewerId)) continue;
      if (!verdicts.has(viewerId)) verdicts.set(viewerId, check(viewerId));
      const refused = await verdicts.get(viewerId)!;
      if (refused) subscriber.end(refused);
    }
  }

  /** After a Redis reconnect: every resumable subscriber re-reads the log after its last seq. */
  private repairAll(): void {
    for (const group of this.groups.values()) {
      if (!group.plan.replay) continue;
      for (const subscriber of group.subscribers) subscriber.repair();
    }
  }
}

function afterSeqVariableName(operation: OperationDefinitionNode): string | undefined {
  const root = operation.selectionSet.selections[0];
  if (root?.kind !== Kind.FIELD) return undefined;
  const arg = root.arguments?.find((a) => a.name.value === AFTER_SEQ_ARG);
  return arg?.value.kind === Kind.VARIABLE ? arg.value.name.value : undefined;
}
