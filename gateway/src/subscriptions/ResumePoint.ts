import type { GraphQLError } from 'graphql';
import { isErrorCode, userError } from '@chatgraph/errors';
import type { Logger } from '@chatgraph/logging';
import type { SubscriptionPlan } from './buildSubscriptionPlan';
import type { LivePlanExecutor } from './LivePlanExecutor';

/**
 * Turns a subscription's own resume point (`@live(resume:)`, e.g. `afterId`: the id of the last item the client
 * received) into the seq the engine resumes after, by asking the owning subgraph as the viewer. The owner's coded
 * refusals pass through (NOT_FOUND for an item the viewer does not have, BAD_USER_INPUT for a malformed one); a
 * failure to get an answer is `SERVICE_UNAVAILABLE` (the client resubscribes later).
 */
export class ResumePoint {
  constructor(
    private readonly executor: LivePlanExecutor,
    private readonly logger: Logger,
  ) {}

  /** The seq to resume after, or null when the subscription has no resume point of its own. */
  async seq(
    plan: SubscriptionPlan,
    resumeFrom: Record<string, unknown> | null,
    viewerId: string,
  ): Promise<number | null> {
    if (!plan.resume || !resumeFrom) return null;
    let error: { message: string; extensions?: Record<string, unknown> } | undefined;
    try {
      const result = await this.executor.callSubgraph(plan.owner, plan.resume.query, resumeFrom, { viewerId });
      const seq = result.data?.seq;
      if (typeof seq === 'number' && Number.isInteger(seq) && seq >= 0) return seq;
      error = result.errors?.[0];
    } catch (err) {
      error = err as GraphQLError;
    }
    const code = error?.extensions?.code;
    if (error && isErrorCode(code) && code !== 'INTERNAL_SERVER_ERROR')
      throw userError(code, error.message, { field: error.extensions?.field });
    this.logger.warn({ field: plan.fieldName, error: error?.message }, 'subscription resume point failed unexpectedly');
    throw userError('SERVICE_UNAVAILABLE', 'The resume point could not be looked up; retry shortly.');
  }
}
