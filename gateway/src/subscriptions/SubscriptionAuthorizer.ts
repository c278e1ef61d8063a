import type { GraphQLError } from 'graphql';
import { ExponentialBackoff, handleWhen, retry, type RetryPolicy } from 'cockatiel';
import { isErrorCode, requestAction, userError } from '@chatgraph/errors';
import type { Logger } from '@chatgraph/logging';
import type { SubscriptionPlan } from './buildSubscriptionPlan';
import type { LivePlanExecutor } from './LivePlanExecutor';

/** How patiently a re-check of access is retried while the owning subgraph is unavailable. */
export interface RecheckRetry {
  /** Retries after the first attempt. @default 3 */
  maxAttempts: number;
  /** @default 200 */
  initialDelayMs: number;
  /** @default 2000 */
  maxDelayMs: number;
}

const DEFAULT_RETRY: RecheckRetry = { maxAttempts: 3, initialDelayMs: 200, maxDelayMs: 2000 };

/**
 * Asks the subgraph that owns a live field, as the viewer, whether the viewer may subscribe (the `@live(authorize:)`
 * query field answers `Boolean!`). Only the owner's "no" is `FORBIDDEN`; its coded errors pass through, and a failure
 * to get an answer is `SERVICE_UNAVAILABLE` (a client resubscribes later), never a refusal.
 */
export class SubscriptionAuthorizer {
  private readonly recheckPolicy: RetryPolicy;

  constructor(
    private readonly executor: LivePlanExecutor,
    private readonly logger: Logger,
    retryOptions: Partial<RecheckRetry> = {},
  ) {
    const opts = { ...DEFAULT_RETRY, ...retryOptions };
    // One retry policy: only errors the registry calls transient are retried.
    this.recheckPolicy = retry(
      handleWhen((err) => requestAction((err as GraphQLError).extensions?.code) === 'retry'),
      {
        maxAttempts: opts.maxAttempts,
        backoff: new ExponentialBackoff({ initialDelay: opts.initialDelayMs, maxDelay: opts.maxDelayMs }),
      },
    );
  }

  /** Resolves when `viewerId` may subscribe to `plan` with `args`; throws the coded reason otherwise. */
  async authorize(plan: SubscriptionPlan, args: Record<string, unknown>, viewerId: string): Promise<void> {
    const auth = plan.authorize;
    if (!auth) return;
    const variables = Object.fromEntries(auth.argNames.map((n) => [n, args[n]]));
    let error: { message: string; extensions?: Record<string, unknown> } | undefined;
    try {
      const result = await this.executor.callSubgraph(plan.owner, auth.query, variables, { viewerId });
      if (result.data?.allowed === true) return;
      error = result.errors?.[0];
      if (!error && result.data?.allowed === false)
        throw userError('FORBIDDEN', `You may not subscribe to ${plan.fieldName} with these arguments.`);
    } catch (err) {
      error = err as GraphQLError;
    }
    const code = error?.extensions?.code;
    if (error && isErrorCode(code) && code !== 'INTERNAL_SERVER_ERROR')
      throw userError(code, error.message, { field: error.extensions?.field });
    this.logger.warn({ field: plan.fieldName, error: error?.message }, 'subscription authorize failed unexpectedly');
    throw userError('SERVICE_UNAVAILABLE', 'Access to this subscription could not be verified; retry shortly.');
  }

  /**
   * Checks again whether `viewerId` still may subscribe (an event said access may have changed), retrying while the
   * owner is unavailable. Resolves with the error that ends the subscription, or null when access holds.
   */
  async recheck(plan: SubscriptionPlan, args: Record<string, unknown>, viewerId: string): Promise<GraphQLError | null> {
    try {
      await this.recheckPolicy.execute(() => this.authorize(plan, args, viewerId));
      return null;
    } catch (err) {
      const code = (err as GraphQLError).extensions?.code;
      if (requestAction(code) === 'retry')
        return userError('SERVICE_UNAVAILABLE', 'Access could not be re-checked; resubscribe with afterSeq.');
      if (code === 'FORBIDDEN') return userError('FORBIDDEN', 'Your access to this subscription was revoked.');
      // authorize() only throws coded errors
      return err as GraphQLError;
    }
  }
}
