import type { GraphQLFormattedError } from 'graphql';
import { formatErrors, isErrorCode, userError } from '@chatgraph/errors';
import { SEQ_ALIAS, type SubscriptionPlan } from './buildSubscriptionPlan';
import type { PlanResult } from './LivePlanExecutor';
import type { ReplayPage } from './LiveSubscriber';
import { preSerialized } from './PreSerialized';

/**
 * Turns the result of one replay query (the `@live(replay:)` field with the subscription's selection) into the
 * deliveries a subscriber would have received live: one `{ data: { <responseKey>: item } }` per item, with the errors
 * that belong to that item. A page shorter than `pageSize` reached the end of the log. Throws the replay field's
 * coded error when the whole query failed (not a member any more, chat gone...).
 */
export function toReplayPage(
  plan: SubscriptionPlan,
  result: PlanResult,
  pageSize: number,
  log: (err: unknown) => void,
): ReplayPage {
  const replay = plan.replay!;
  const items = result.data?.[replay.responseKey];
  if (!Array.isArray(items)) {
    const first = result.errors?.[0];
    const code = first?.extensions?.code;
    if (isErrorCode(code) && code !== 'INTERNAL_SERVER_ERROR')
      throw userError(code, first!.message, { field: first!.extensions?.field });
    throw new Error(`replay failed: ${first?.message ?? 'no data'}`);
  }
  const errors = formatErrors(result.errors, log);
  const deliveries = items.map((item: Record<string, unknown>, index: number) => {
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
    return { seq: typeof seq === 'number' ? seq : undefined, payload: preSerialized(JSON.stringify(body)) };
  });
  return { deliveries, complete: items.length < pageSize };
}
