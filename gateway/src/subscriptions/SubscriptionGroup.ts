import { userError } from '@chatgraph/errors';
import type { Logger } from '@chatgraph/logging';
import type { GatewayContext } from '../auth/SubgraphDataSource';
import type { LiveSubscriber } from './LiveSubscriber';
import type { PreSerialized } from './PreSerialized';
import type { SubscriptionPlan } from './buildSubscriptionPlan';

/** Runs one event through a plan (projection + `rest`) and serializes the result. */
export type EventExecutor = (
  plan: SubscriptionPlan,
  raw: unknown,
  variables: Record<string, unknown>,
  context: GatewayContext,
) => Promise<PreSerialized>;

/** Re-checks the access of some users' subscriptions in a group; resolves when done. */
export type Reauthorizer = (group: SubscriptionGroup, userIds: string[]) => Promise<void>;

/**
 * Identical subscriptions on one gateway instance: same plan, same topics, arguments and variables, and — when the
 * plan's `rest` depends on the viewer — the same user. Each event is executed ONCE for the whole group and the same
 * serialized result goes to every member. Events are processed one after the other, so a group never reorders them;
 * an access re-check requested by an event completes before the next event is delivered.
 */
export class SubscriptionGroup {
  readonly subscribers = new Set<LiveSubscriber>();
  /** Settles when the group's topics are attached (Redis confirmed them), or with the reason they could not be. */
  ready: Promise<void> = Promise.resolve();
  private tail: Promise<void> = Promise.resolve();
  private backlog = 0;
  private detachers: Array<() => void> = [];

  constructor(
    readonly key: string,
    readonly plan: SubscriptionPlan,
    readonly variables: Record<string, unknown>,
    /** Identity for the `rest` fetches: the viewer if viewer-dependent, anonymous otherwise. */
    readonly context: GatewayContext,
    private readonly execute: EventExecutor,
    private readonly reauthorize: Reauthorizer,
    private readonly logger: Logger,
    /** Most events waiting to be executed before the group's subscribers are closed as slow consumers. */
    private readonly backlogLimit: number,
  ) {}

  /** Remembers how to leave the topics this group listens to. */
  addDetacher(detach: () => void): void {
    this.detachers.push(detach);
  }

  /** Leaves every topic. */
  detachAll(): void {
    for (const detach of this.detachers.splice(0)) detach();
  }

  /** A raw event from one of the group's topics. */
  readonly onEvent = (raw: unknown): void => {
    if (this.backlog >= this.backlogLimit) {
      // Events arrive faster than they can be executed (a slow subgraph): close rather than queue without bound.
      this.logger.warn({ field: this.plan.fieldName, backlog: this.backlog }, 'live group backlog over its limit');
      for (const subscriber of [...this.subscribers]) {
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
    this.tail = this.tail
      .then(async () => {
        if (this.subscribers.size === 0) return;
        const payload = await this.execute(this.plan, raw, this.variables, this.context);
        const seq = this.plan.replay && isRecord(raw) && typeof raw.seq === 'number' ? raw.seq : undefined;
        for (const subscriber of this.subscribers) subscriber.deliver({ seq, payload });
        const reauthorize = isRecord(raw) ? raw._reauthorize : undefined;
        if (Array.isArray(reauthorize) && reauthorize.length) await this.reauthorize(this, reauthorize.map(String));
      })
      .catch((err: unknown) => this.logger.error({ err, field: this.plan.fieldName }, 'live event failed'))
      .finally(() => {
        this.backlog--;
      });
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
