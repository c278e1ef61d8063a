import type { GraphQLError } from 'graphql';
import { formatErrors, userError } from '@chatgraph/errors';
import type { Logger } from '@chatgraph/logging';
import { contextFrom, inSpan, SpanKind } from '@chatgraph/telemetry';
import type { LivePlanExecutor } from './LivePlanExecutor';
import type { LiveSubscriber } from './LiveSubscriber';
import { preSerialized, type PreSerialized } from './PreSerialized';
import type { RedisTopicHub } from './RedisTopicHub';
import { ReorderWindow } from './ReorderWindow';
import type { ResolvedSubscription } from './resolveSubscription';
import type { SubscriptionAuthorizer } from './SubscriptionAuthorizer';

/** What every group of an engine shares. */
export interface GroupDependencies {
  hub: RedisTopicHub;
  executor: LivePlanExecutor;
  authorizer: SubscriptionAuthorizer;
  logger: Logger;
  /** Most events waiting to be executed before the group's subscribers are closed as slow consumers. */
  backlogLimit: number;
  /** Counts executed events (one per event per group) and events released by the reorder window without their predecessor. */
  counters: { eventExecutions: number; reorderGiveUps: number };
  /** How long a resumable event after a missing seq waits for it (see {@link ReorderWindow}), in ms. */
  reorderWindowMs: number;
  /**
   * Events of one group executed at once (their `rest` fetches in flight together); they are still delivered one
   * after the other, in order. 1 executes one event at a time (the next may start before the previous is delivered).
   */
  executionConcurrency: number;
  /**
   * Told of each live event handed to `subscribers` members, with the time its change committed (the publisher's
   * `_meta.committedAt`, ms since the epoch), for the commit → delivery lag.
   */
  onDelivered?: (committedAt: number, subscribers: number) => void;
}

/**
 * Identical subscriptions on one gateway instance: same plan, same topics, arguments and variables, and — when the
 * plan's `rest` depends on the viewer — the same user. Each event is executed ONCE for the whole group and the same
 * serialized result goes to every member. A resumable field's events first pass a {@link ReorderWindow}, which puts
 * publishes that reached Redis out of seq order back in order. Up to `executionConcurrency` events are then executed
 * at once (so a group's rate is not bounded by one fetch's round trip: a user's own notifications, a busy chat) but
 * delivered one after the other, in order, so a group never reorders them; an access re-check requested by an event
 * completes before the next event is delivered.
 *
 * Lifecycle: a group attaches to its topics when created (`ready` settles when Redis confirmed them, so nothing
 * published afterwards can be missed); members join once it is ready (a reservation keeps it open in between); when
 * the last member leaves it detaches from its topics and tells its owner (`onClosed`).
 */
export class SubscriptionGroup {
  /** Settles when the group's topics are attached, or with the reason they could not be. */
  readonly ready: Promise<void>;
  private readonly members = new Set<LiveSubscriber>();
  private reservations = 0;
  private closed = false;
  /** Settles when the last admitted event was delivered (or dropped): the next one is delivered after it. */
  private tail: Promise<void> = Promise.resolve();
  private backlog = 0;
  /** Events executing now, and the executions waiting for one of them to finish (in admission order). */
  private executing = 0;
  private readonly waitingToExecute: Array<() => void> = [];
  private readonly detachers: Array<() => void> = [];
  /** Puts a resumable field's events back in seq order (absent for fields without replay). */
  private readonly reorder: ReorderWindow | undefined;

  constructor(
    readonly spec: ResolvedSubscription,
    private readonly deps: GroupDependencies,
    private readonly onClosed: (group: SubscriptionGroup) => void,
  ) {
    if (spec.plan.replay && deps.reorderWindowMs > 0) {
      this.reorder = new ReorderWindow({
        windowMs: deps.reorderWindowMs,
        maxHeld: deps.backlogLimit,
        emit: this.admit,
        onGiveUp: () => deps.counters.reorderGiveUps++,
      });
    }
    this.ready = this.attach();
    this.ready.catch(() => this.close());
  }

  /** The group's identity (see {@link ResolvedSubscription.groupKey}). */
  get key(): string {
    return this.spec.groupKey;
  }

  /** Members receiving events. */
  get size(): number {
    return this.members.size;
  }

  /** Every member (a copy). */
  get subscribers(): LiveSubscriber[] {
    return [...this.members];
  }

  /** Keeps the group open for a member that is about to join (while the caller waits for `ready`). */
  reserve(): { join(subscriber: LiveSubscriber): void; cancel(): void } {
    this.reservations++;
    let used = false;
    const release = () => {
      if (used) return false;
      used = true;
      this.reservations--;
      return true;
    };
    return {
      join: (subscriber) => {
        if (!release()) return;
        if (this.closed) throw new Error('joined a closed subscription group');
        this.members.add(subscriber);
      },
      cancel: () => {
        if (release()) this.closeIfUnused();
      },
    };
  }

  /** Removes a member; the last one out closes the group. */
  leave(subscriber: LiveSubscriber): void {
    this.members.delete(subscriber);
    this.closeIfUnused();
  }

  /** A raw event from one of the group's topics: through the reorder window when the field is resumable. */
  readonly onEvent = (raw: unknown): void => {
    if (this.reorder) this.reorder.push(raw, eventSeq(raw));
    else this.admit(raw);
  };

  /** Queues an event for execution, in the order given. */
  private readonly admit = (raw: unknown): void => {
    if (this.backlog >= this.deps.backlogLimit) {
      // Events arrive faster than they can be executed (a slow subgraph): close rather than queue without bound.
      this.deps.logger.warn({ field: this.spec.plan.fieldName, backlog: this.backlog }, 'live group backlog full');
      for (const subscriber of this.subscribers) {
        subscriber.end(
          userError(
            'SLOW_CONSUMER',
            'Live events could not be processed fast enough; resubscribe with afterSeq to resume.',
          ),
          true,
        );
      }
      return;
    }
    this.backlog++;
    this.tail = this.process(raw, this.tail)
      .catch((err: unknown) => this.deps.logger.error({ err, field: this.spec.plan.fieldName }, 'live event failed'))
      .finally(() => {
        this.backlog--;
      });
  };

  /**
   * An event of an access topic (`@live(access:)`): never delivered; when it names users to re-check, the re-check
   * runs in the same sequence as the group's events, so a removed member receives nothing after its removal.
   */
  readonly onAccessEvent = (raw: unknown): void => {
    const userIds = reauthorizeList(raw);
    if (!userIds) return;
    this.tail = this.tail
      .then(() => this.recheck(userIds))
      .catch((err: unknown) =>
        this.deps.logger.error({ err, field: this.spec.plan.fieldName }, 'access re-check failed'),
      );
  };

  /**
   * Executes one event (as soon as one of the group's execution slots is free) and, once `previous` (the event before
   * it) was delivered, delivers it to every member; in a span that continues the trace of the change that published
   * it (`_meta.traceparent`), so a message's trace shows each gateway's execution and delivery. Then runs the access
   * re-check the event asks for (`_reauthorize`), even when execution or delivery failed.
   */
  private async process(raw: unknown, previous: Promise<void>): Promise<void> {
    try {
      await this.executeAndDeliver(raw, previous);
    } finally {
      // Whatever became of the event, the access change it announces is checked before the next delivery.
      const userIds = reauthorizeList(raw);
      if (userIds) await this.recheck(userIds);
    }
  }

  /** The execution and delivery of {@link process}, in its span. */
  private async executeAndDeliver(raw: unknown, previous: Promise<void>): Promise<void> {
    const { plan } = this.spec;
    const meta = eventMeta(raw);
    await inSpan(
      `deliver ${plan.fieldName}`,
      {
        kind: SpanKind.CONSUMER,
        parent: contextFrom(meta as Record<string, unknown> | undefined),
        attributes: { 'live.field': plan.fieldName, 'live.subscribers': this.members.size },
      },
      async () => {
        let payload: PreSerialized | undefined;
        try {
          payload = await this.executeInSlot(raw);
        } finally {
          // In order whatever happened to this one: a failed execution is logged after its predecessor's delivery.
          await previous;
        }
        if (payload === undefined || this.members.size === 0) return;
        const seq = plan.replay ? eventSeq(raw) : undefined;
        // Only for fields without replay (a skipped event of a replayed stream would look like a gap).
        const except = plan.replay ? undefined : exceptViewer(raw);
        for (const subscriber of this.members) {
          if (except !== undefined && subscriber.viewerId === except) continue;
          subscriber.deliver({ seq, payload });
        }
        if (typeof meta?.committedAt === 'number') this.deps.onDelivered?.(meta.committedAt, this.members.size);
      },
    );
  }

  /** Executes `raw` in one of the group's execution slots, in admission order; undefined when no member is left. */
  private async executeInSlot(raw: unknown): Promise<PreSerialized | undefined> {
    if (this.executing >= this.deps.executionConcurrency) {
      await new Promise<void>((resolve) => this.waitingToExecute.push(resolve));
    } else {
      this.executing++;
    }
    try {
      return this.members.size === 0 ? undefined : await this.execute(raw);
    } finally {
      // The slot passes straight to the next waiting execution, or is given up.
      const next = this.waitingToExecute.shift();
      if (next) next();
      else this.executing--;
    }
  }

  /** Projects the event through the primary fetch, runs `rest`, serializes once for every member. */
  private async execute(raw: unknown): Promise<PreSerialized> {
    const { plan, variables, groupViewerId } = this.spec;
    this.deps.counters.eventExecutions++;
    const result = await this.deps.executor.runEvent(plan.eventPlan, plan.eventSource, raw, variables, {
      viewerId: groupViewerId,
    });
    const errors = formatErrors(result.errors, (err) => this.deps.logger.error({ err }, 'live event error'));
    const data = result.data ?? null;
    return preSerialized(JSON.stringify(errors ? { data, errors } : { data }));
  }

  /** Re-checks the access of the members who are among `userIds`; ends the subscriptions of those refused. */
  private async recheck(userIds: string[]): Promise<void> {
    const wanted = new Set(userIds);
    const verdicts = new Map<string, Promise<GraphQLError | null>>();
    const { plan, args } = this.spec;
    for (const subscriber of this.subscribers) {
      const viewerId = subscriber.viewerId;
      if (!viewerId || !wanted.has(viewerId)) continue;
      if (!verdicts.has(viewerId)) verdicts.set(viewerId, this.deps.authorizer.recheck(plan, args, viewerId));
      const refused = await verdicts.get(viewerId)!;
      if (refused) subscriber.end(refused);
    }
  }

  private async attach(): Promise<void> {
    const listeners = [
      ...this.spec.topics.map((topic) => [topic, this.onEvent] as const),
      ...this.spec.accessTopics.map((topic) => [topic, this.onAccessEvent] as const),
    ];
    for (const [topic, listener] of listeners) {
      const detach = await this.deps.hub.attach(topic, listener);
      if (this.closed) detach();
      else this.detachers.push(detach);
    }
  }

  private closeIfUnused(): void {
    if (this.members.size === 0 && this.reservations === 0) this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.reorder?.dispose();
    for (const detach of this.detachers.splice(0)) detach();
    this.onClosed(this);
  }
}

/**
 * The user an ephemeral event is not for (`_exceptViewer`: e.g. their own typing indicator), or undefined. The event
 * is executed once as usual; only that user's subscriptions skip it.
 */
function exceptViewer(raw: unknown): string | undefined {
  const id = isRecord(raw) ? raw._exceptViewer : undefined;
  return typeof id === 'string' ? id : undefined;
}

/** The seq of a resumable event, or undefined. */
function eventSeq(raw: unknown): number | undefined {
  const seq = isRecord(raw) ? raw.seq : undefined;
  return typeof seq === 'number' ? seq : undefined;
}

/** The users an event asks to re-check (`_reauthorize`), or undefined. */
function reauthorizeList(raw: unknown): string[] | undefined {
  const list = isRecord(raw) ? raw._reauthorize : undefined;
  return Array.isArray(list) && list.length ? list.map(String) : undefined;
}

/** What a publisher adds to an event besides its fields (`_meta`): when it committed, and its trace context. */
export interface EventMeta {
  committedAt?: unknown;
  traceparent?: unknown;
}

/** The `_meta` of an event, or undefined. */
export function eventMeta(raw: unknown): EventMeta | undefined {
  const meta = isRecord(raw) ? raw._meta : undefined;
  return isRecord(meta) ? meta : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
