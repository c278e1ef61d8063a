import type { DocumentNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import { buildSubscriptionPlan, planKey, type SubscriptionPlan } from './buildSubscriptionPlan';
import type { SupergraphRuntime } from './SupergraphRuntime';

/**
 * Subscription plans of one supergraph, least recently used evicted past `max`. Planning runs the query planner, so
 * clients that subscribe with the same document (every client of one app) share one plan. A supergraph reload makes
 * a new cache: plans never outlive the schema they were made for.
 */
export class PlanCache {
  private readonly plans: LRUCache<string, SubscriptionPlan>;

  /** @param max most plans kept. @default 1000 */
  constructor(
    readonly runtime: SupergraphRuntime,
    max = 1000,
  ) {
    this.plans = new LRUCache({ max });
  }

  /** The plan of `document`'s operation `operationName`, planned on first use. Throws a coded error if unservable. */
  get(document: DocumentNode, operationName: string | undefined): SubscriptionPlan {
    const key = planKey(document, operationName);
    let plan = this.plans.get(key);
    if (!plan) {
      plan = buildSubscriptionPlan(this.runtime, document, operationName, key);
      this.plans.set(key, plan);
    }
    return plan;
  }

  /** Plans held. */
  get size(): number {
    return this.plans.size;
  }
}
