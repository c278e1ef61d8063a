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
 *
 * Subscribes that ask the same question at the same time (one viewer, one authorize query, the same arguments: a
 * client resubscribing a chat's events, typing and receipts after a reconnect, several tabs, a reconnect wave) share
 * one call to the owner while it is in flight; nothing is kept after it answers. Without that, a wave of subscribes
 * fills the gateway's bulkhead towards the owner with identical checks, and the ones over it are refused as
 * `SERVICE_UNAVAILABLE`. Re-checks (access may just have changed) never share a call that started before them.
 */
export class SubscriptionAuthorizer {
  private readonly recheckPolicy: RetryPolicy;
  /** Checks in flight, by question: subscribes asking the same one wait for the same answer. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Subscribes that shared a check already in flight instead of asking the owner again. */
  coalesced = 0;

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

  /**
   * Resolves when `viewerId` may subscribe to `plan` with `args`; throws the coded reason otherwise. Shares the answer
   * of the same question already in flight.
   */
  authorize(plan: SubscriptionPlan, args: Record<string, unknown>, viewerId: string): Promise<void> {
    const auth = plan.authorize;
    if (!auth) return Promise.resolve();
    const variables = Object.fromEntries(auth.argNames.map((n) => [n, args[n]]));
    const key = JSON.stringify([plan.owner, auth.query, variables, viewerId]);
    const pending = this.inFlight.get(key);
    if (pending) {
      this.coalesced++;
      return pending;
    }
    const check = this.check(plan, variables, viewerId).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, check);
    return check;
  }

  /** Asks the owner (one call). */
  private async check(plan: SubscriptionPlan, variables: Record<string, unknown>, viewerId: string): Promise<void> {
    const auth = plan.authorize!;
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
      const auth = plan.authorize;
      if (!auth) return null;
      const variables = Object.fromEntries(auth.argNames.map((n) => [n, args[n]]));
      await this.recheckPolicy.execute(() => this.check(plan, variables, viewerId));
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
