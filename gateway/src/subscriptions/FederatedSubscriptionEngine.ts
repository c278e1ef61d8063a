import type { GatewayExecutor } from '@apollo/server-gateway-interface';
import type { DocumentNode, GraphQLError } from 'graphql';
import type { GraphQLDataSource } from '@apollo/gateway';
import { userError } from '@chatgraph/errors';
import type { Logger } from '@chatgraph/logging';
import { LivePlanExecutor } from './LivePlanExecutor';
import { LiveSubscriber, type LiveIterator, type ReplayPage, type SubscriberStats } from './LiveSubscriber';
import { PlanCache } from './PlanCache';
import type { RedisTopicHub } from './RedisTopicHub';
import type { SubscriptionPlan } from './buildSubscriptionPlan';
import { resolveSubscription, type ResolvedSubscription } from './resolveSubscription';
import { ResumePoint } from './ResumePoint';
import { SubscriptionAuthorizer, type RecheckRetry } from './SubscriptionAuthorizer';
import type { SubscriptionGroup } from './SubscriptionGroup';
import { SubscriptionGroups } from './SubscriptionGroups';
import { SubscriptionQuota, type QuotaLimits } from './SubscriptionQuota';
import { SupergraphRuntime } from './SupergraphRuntime';
import { toReplayPage } from './toReplayPage';

/** Caps on live subscriptions. */
export interface SubscriptionLimits extends QuotaLimits {
  /** Events queued for one subscriber (and waiting in one group) before it is closed as a slow consumer. @default 1000 */
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
  /**
   * How long a resumable event whose predecessor has not arrived waits for it before subscribers repair the gap from
   * the log (see `ReorderWindow`), in ms; 0 turns the window off. @default 100
   */
  reorderWindowMs?: number;
  /**
   * Events of one group of identical subscriptions executed at once; they are delivered in order whatever the
   * concurrency. @default 8
   */
  executionConcurrency?: number;
  /** Plans kept per supergraph. @default 1000 */
  maxCachedPlans?: number;
  /** Retry of access re-checks while the owning subgraph is unavailable. */
  recheckRetry?: Partial<RecheckRetry>;
  /** Told of each live event delivered, with its commit time (ms since the epoch): the commit → delivery lag. */
  onDelivered?: (committedAt: number, subscribers: number) => void;
}

/** A subscribe request from the WebSocket layer (document already parsed and validated against the API schema). */
export interface SubscribeRequest {
  document: DocumentNode;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
  /** The connection it came on (any object the socket layer owns; quotas are counted per connection). */
  connection: object;
  /** The authenticated user. */
  viewerId: string;
}

/** Counters exposed for tests, benchmarks and /metrics. */
export interface EngineStats extends SubscriberStats {
  eventExecutions: number;
  replays: number;
  /** Events a group's reorder window let go without their predecessor, which never arrived in time (a lost publish). */
  reorderGiveUps: number;
  /** Subscribes that shared an identical access check already in flight (see `SubscriptionAuthorizer`). */
  authorizeCoalesced: number;
  /** Subscriptions holding a slot (counted from the start of subscribe, before authorize and attach). */
  activeSubscriptions: number;
  /** Subscriptions authorized and attached to their topics: receiving events. */
  liveSubscriptions: number;
  groups: number;
  topics: number;
  plans: number;
}

/**
 * Federated subscriptions on top of `@apollo/gateway`'s building blocks. Per subscribe: plan the operation
 * ({@link PlanCache}), resolve its arguments and topics ({@link resolveSubscription}), take a slot
 * ({@link SubscriptionQuota}), ask the owning subgraph ({@link SubscriptionAuthorizer}; {@link ResumePoint} for a resume
 * point other than `afterSeq`), take a seat in the group of
 * identical subscriptions ({@link SubscriptionGroups}, attached to Redis before anything is read from the log) and hand
 * back a {@link LiveSubscriber} that backfills from the log and delivers each event exactly once, in order.
 */
export class FederatedSubscriptionEngine {
  private plans: PlanCache | undefined;
  private readonly executor: LivePlanExecutor;
  private readonly authorizer: SubscriptionAuthorizer;
  private readonly resumePoint: ResumePoint;
  private readonly quota: SubscriptionQuota;
  private readonly groups: SubscriptionGroups;
  private readonly counters = { eventExecutions: 0, replays: 0, reorderGiveUps: 0 };
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
    const { hub, logger, limits } = options;
    this.replayPageSize = options.replayPageSize ?? 100;
    this.executor = new LivePlanExecutor(options.createServices, logger);
    this.authorizer = new SubscriptionAuthorizer(this.executor, logger, options.recheckRetry);
    this.resumePoint = new ResumePoint(this.executor, logger);
    this.quota = new SubscriptionQuota(limits);
    this.groups = new SubscriptionGroups({
      hub,
      executor: this.executor,
      authorizer: this.authorizer,
      logger,
      backlogLimit: limits.queueLimit,
      reorderWindowMs: options.reorderWindowMs ?? 100,
      executionConcurrency: options.executionConcurrency ?? 8,
      counters: this.counters,
      onDelivered: options.onDelivered,
    });
    this.stopRepairOnReconnect = hub.onResubscribed(() => this.repairAll());
  }

  /**
   * Executes the queries and mutations clients send over HTTP with the engine's planner and data sources (the
   * executor Apollo Server calls; see {@link LivePlanExecutor.executeRequest}).
   */
  get executeRequest(): GatewayExecutor {
    return this.executor.executeRequest;
  }

  /** The same executor in its two steps, plan (and check variables) then run: what the direct HTTP lane calls. */
  get requests(): Pick<LivePlanExecutor, 'planRequest' | 'runRequest'> {
    return this.executor;
  }

  /** The API schema clients validate subscriptions against (undefined before the first supergraph). */
  get apiSchema() {
    return this.plans?.runtime.apiGraphQLSchema;
  }

  /** Counters. */
  stats(): EngineStats {
    return {
      ...this.subscriberStats,
      ...this.counters,
      authorizeCoalesced: this.authorizer.coalesced,
      activeSubscriptions: this.quota.size,
      liveSubscriptions: this.groups.all().reduce((n, g) => n + g.size, 0),
      groups: this.groups.size,
      topics: this.options.hub.size,
      plans: this.plans?.size ?? 0,
    };
  }

  /** Live subscriptions counted against one connection (see {@link SubscribeRequest.connection}). */
  subscriptionsOf(connection: object): number {
    return this.quota.ofConnection(connection);
  }

  /**
   * Loads a supergraph (at start and on every reload). A changed supergraph closes every live subscription with
   * `SUBSCRIPTION_RESTART` (after what is already queued): clients resume with `afterSeq` under the new schema.
   */
  setSupergraph(sdl: string): void {
    if (this.plans?.runtime.sdl === sdl) return;
    const hadRuntime = this.plans !== undefined;
    const runtime = new SupergraphRuntime(sdl);
    this.executor.load(runtime);
    this.plans = new PlanCache(runtime, this.options.maxCachedPlans);
    if (hadRuntime) this.closeAll('The gateway loaded a new schema; resubscribe with afterSeq to resume.');
  }

  /** Ends every live subscription with `SUBSCRIPTION_RESTART` (reload, shutdown). */
  closeAll(message = 'The gateway is restarting; resubscribe with afterSeq to resume.'): void {
    for (const group of this.groups.all()) {
      for (const subscriber of group.subscribers) subscriber.end(userError('SUBSCRIPTION_RESTART', message));
    }
  }

  /** Stops listening for reconnects and closes every subscription. */
  dispose(): void {
    this.stopRepairOnReconnect();
    this.closeAll();
  }

  /**
   * Starts a live subscription. Returns the iterator the connection's operation consumes, or the errors to send instead (refused,
   * invalid, over a limit).
   */
  async subscribe(request: SubscribeRequest): Promise<LiveIterator | readonly GraphQLError[]> {
    try {
      return await this.start(request);
    } catch (err) {
      if ((err as GraphQLError).extensions?.code) return [err as GraphQLError];
      this.options.logger.error({ err }, 'subscribe failed');
      return [userError('INTERNAL_SERVER_ERROR', 'Internal server error')];
    }
  }

  private async start(request: SubscribeRequest): Promise<LiveIterator | readonly GraphQLError[]> {
    const plans = this.plans;
    if (!plans) throw userError('SERVICE_UNAVAILABLE', 'The gateway has not loaded its schema yet; retry shortly.');
    const plan = plans.get(request.document, request.operationName ?? undefined);
    const resolved = resolveSubscription(plans.runtime, plan, request.variables, request.viewerId);
    if (isErrorList(resolved)) return resolved;

    // The slot is taken before any await, so concurrent subscribes on one connection cannot all pass the check.
    const release = this.quota.take(request.connection, request.viewerId);
    try {
      await this.authorizer.authorize(plan, resolved.args, request.viewerId);
      const afterSeq = resolved.afterSeq ?? (await this.resumePoint.seq(plan, resolved.resumeFrom, request.viewerId));
      this.assertCurrent(plans);
      const seat = await this.groups.seat(resolved);
      if (this.plans !== plans) {
        seat.cancel();
        this.assertCurrent(plans);
      }
      const variables = replayVariables(seat.group.spec.plan, resolved.variables);
      const subscriber = this.subscriber(seat.group, variables, request.viewerId, afterSeq, release);
      seat.join(subscriber);
      subscriber.start();
      return subscriber;
    } catch (err) {
      release();
      throw err;
    }
  }

  /**
   * A subscriber of `group`. Made apart from `start` so that its callbacks hold only what they use, for as long as the
   * subscription lives: the variables its replay reads, not the request or this subscribe's copy of the group's key.
   */
  private subscriber(
    group: SubscriptionGroup,
    variables: Record<string, unknown> | undefined,
    viewerId: string,
    afterSeq: number | null,
    release: () => void,
  ): LiveSubscriber {
    const plan = group.spec.plan;
    const subscriber: LiveSubscriber = new LiveSubscriber({
      viewerId,
      queueLimit: this.options.limits.queueLimit,
      afterSeq,
      replay: variables ? (after) => this.replayPage(plan, variables, viewerId, after) : undefined,
      stats: this.subscriberStats,
      onRepairError: this.onRepairError,
      onEnd: () => {
        release();
        group.leave(subscriber);
      },
    });
    return subscriber;
  }

  private readonly onRepairError = (err: unknown): void =>
    this.options.logger.warn({ err: (err as Error).message }, 'live backfill failed');

  /** A reload while a subscribe was waiting: its plan belongs to the old schema. */
  private assertCurrent(plans: PlanCache): void {
    if (this.plans !== plans)
      throw userError('SUBSCRIPTION_RESTART', 'The gateway loaded a new schema; subscribe again.');
  }

  /** One page of the events after `afterSeq`, with the subscription's selection, as this viewer may see them. */
  private async replayPage(
    plan: SubscriptionPlan,
    variables: Record<string, unknown>,
    viewerId: string,
    afterSeq: number,
  ): Promise<ReplayPage> {
    const replay = plan.replay!;
    this.counters.replays++;
    const vars: Record<string, unknown> = { ...variables, _liveAfterSeq: afterSeq, _liveLimit: this.replayPageSize };
    const result = await this.executor.run(replay.plan, vars, { viewerId });
    return toReplayPage(plan, result, this.replayPageSize, (err) => this.options.logger.error({ err }, 'replay error'));
  }

  /** After a Redis reconnect: every resumable subscriber re-reads the log after its last seq. */
  private repairAll(): void {
    for (const group of this.groups.all()) {
      if (!group.spec.plan.replay) continue;
      for (const subscriber of group.subscribers) subscriber.repair();
    }
  }
}

/** The variables a resumable subscription's replay query reads (undefined when the field has no replay). */
function replayVariables(
  plan: SubscriptionPlan,
  variables: Record<string, unknown>,
): Record<string, unknown> | undefined {
  if (!plan.replay) return undefined;
  const picked: Record<string, unknown> = {};
  for (const name of plan.replay.variableNames) if (name in variables) picked[name] = variables[name];
  return picked;
}

function isErrorList(value: ResolvedSubscription | readonly GraphQLError[]): value is readonly GraphQLError[] {
  return Array.isArray(value);
}
