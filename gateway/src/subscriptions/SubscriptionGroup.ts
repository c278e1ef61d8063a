import type { Logger } from '@chatgraph/logging';
import type { GatewayContext } from '../auth/SubgraphDataSource';
import type { LiveSubscriber } from './LiveSubscriber';
import type { PreSerialized } from './PreSerialized';
import type { SubscriptionPlan } from './buildSubscriptionPlan';

/** Runs one event through a plan (projection + `rest`) and serializes the result. */
export type EventExecutor = (plan: SubscriptionPlan, raw: unknown, variables: Record<string, unknown>, context: GatewayContext) => Promise<PreSerialized>;

/**
 * Identical subscriptions on one gateway instance: same plan, same arguments and variables, and — when the plan's
 * `rest` depends on the viewer — the same user. Each event is executed ONCE for the whole group and the same
 * serialized result goes to every member. Events are processed one after the other, so a group never reorders them.
 */
export class SubscriptionGroup {
  readonly subscribers = new Set<LiveSubscriber>();
  private tail: Promise<void> = Promise.resolve();
  private detachers: Array<() => void> = [];

  constructor(
    readonly key: string,
    readonly plan: SubscriptionPlan,
    readonly variables: Record<string, unknown>,
    /** Identity for the `rest` fetches: the viewer if viewer-dependent, anonymous otherwise. */
    readonly context: GatewayContext,
    private readonly execute: EventExecutor,
    private readonly onReauthorize: (group: SubscriptionGroup, userIds: string[]) => void,
    private readonly logger: Logger,
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
    this.tail = this.tail
      .then(async () => {
        if (this.subscribers.size === 0) return;
        const payload = await this.execute(this.plan, raw, this.variables, this.context);
        const seq = this.plan.replay && isRecord(raw) && typeof raw.seq === 'number' ? raw.seq : undefined;
        for (const subscriber of this.subscribers) subscriber.deliver({ seq, payload });
        const reauthorize = isRecord(raw) ? raw._reauthorize : undefined;
        if (Array.isArray(reauthorize) && reauthorize.length) this.onReauthorize(this, reauthorize.map(String));
      })
      .catch((err: unknown) => this.logger.error({ err, group: this.plan.fieldName }, 'live event failed'));
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
