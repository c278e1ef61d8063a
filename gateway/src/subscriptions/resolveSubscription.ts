import { Kind, type GraphQLError, type VariableNode } from 'graphql';
import { getArgumentValues, getVariableValues } from 'graphql/execution/values';
import { badInput, userError } from '@chatgraph/errors';
import { AFTER_SEQ_ARG, type SubscriptionPlan } from './buildSubscriptionPlan';
import { expandTopics } from './LiveFieldRegistry';
import type { SupergraphRuntime } from './SupergraphRuntime';

/** One subscribe request made concrete: its coerced variables and arguments, resume point, topics and group. */
export interface ResolvedSubscription {
  plan: SubscriptionPlan;
  /** The client's variables, coerced against the API schema. */
  variables: Record<string, unknown>;
  /** The root field's arguments. */
  args: Record<string, unknown>;
  /** Resume point (`afterSeq`), or null to start with the next live event (or with {@link resumeFrom}). */
  afterSeq: number | null;
  /**
   * The subscription's own resume point when the field resumes by something else than `afterSeq` (`@live(resume:)`):
   * the arguments to ask the owner's resume field with; null when the client gave none.
   */
  resumeFrom: Record<string, unknown> | null;
  /** Redis topics the subscription listens to. */
  topics: string[];
  /** Further topics whose events only signal access re-checks (`@live(access:)`), not among `topics`. */
  accessTopics: string[];
  /**
   * Identity of the subscription's group: subscriptions with the same key receive the same executed events (same
   * plan, topics, arguments and variables except the resume point, and the same viewer when the plan depends on it).
   */
  groupKey: string;
  /**
   * Identity the group's `rest` fetches run as: the viewer if the plan depends on it or the topic is the viewer's own,
   * anonymous otherwise.
   */
  groupViewerId: string | null;
}

/**
 * Coerces a subscribe request's variables and arguments for `plan`, as `viewerId`. Returns the errors a client must
 * fix instead (`BAD_USER_INPUT`), never throws for client input.
 */
export function resolveSubscription(
  runtime: SupergraphRuntime,
  plan: SubscriptionPlan,
  rawVariables: Record<string, unknown> | null | undefined,
  viewerId: string,
): ResolvedSubscription | readonly GraphQLError[] {
  const coerced = getVariableValues(
    runtime.apiGraphQLSchema,
    plan.operation.variableDefinitions ?? [],
    rawVariables ?? {},
  );
  if (coerced.errors) return coerced.errors.map((e) => userError('BAD_USER_INPUT', e.message));
  const variables = coerced.coerced;
  const fieldDef = runtime.apiGraphQLSchema.getSubscriptionType()?.getFields()[plan.fieldName];
  if (!fieldDef) return [userError('BAD_USER_INPUT', `Subscription.${plan.fieldName} does not exist.`)];
  let args: Record<string, unknown>;
  try {
    args = getArgumentValues(fieldDef, plan.root, variables);
  } catch (err) {
    return [userError('BAD_USER_INPUT', (err as Error).message)];
  }
  const after = args[AFTER_SEQ_ARG];
  if (typeof after === 'number' && after < 0) return [badInput(AFTER_SEQ_ARG, 'afterSeq must be 0 or more.')];
  // The resume point is not part of a group's identity: subscriptions resuming from different points share events.
  const resumeArgNames = new Set([AFTER_SEQ_ARG, ...(plan.resume?.argNames ?? [])]);
  const groupArgs = Object.fromEntries(Object.entries(args).filter(([k]) => !resumeArgNames.has(k)));
  const resumeVariables = new Set(
    (plan.root.arguments ?? [])
      .filter((a) => resumeArgNames.has(a.name.value) && a.value.kind === Kind.VARIABLE)
      .map((a) => (a.value as VariableNode).name.value),
  );
  const groupVariables = Object.fromEntries(Object.entries(variables).filter(([k]) => !resumeVariables.has(k)));
  const resumeNames = plan.resume?.argNames ?? [];
  const resumeGiven = resumeNames.length > 0 && resumeNames.every((n) => args[n] !== undefined && args[n] !== null);
  const topics = expandTopics(plan.live.topic, args, viewerId);
  const accessTopics = plan.live.access
    ? expandTopics(plan.live.access, args, viewerId).filter((t) => !topics.includes(t))
    : [];
  // A topic of the viewer's own ({viewerId}) makes the group the viewer's alone: its `rest` then runs as the viewer too,
  // so entities of other subgraphs that only their members may read (a notification's message) resolve for them.
  const groupViewerId = plan.viewerDependent || plan.live.topic.includes('{viewerId}') ? viewerId : null;
  return {
    plan,
    variables,
    args,
    afterSeq: typeof after === 'number' ? after : null,
    resumeFrom: resumeGiven ? Object.fromEntries(resumeNames.map((n) => [n, args[n]])) : null,
    topics,
    accessTopics,
    // The topics are part of the key: a topic of the viewer ({viewerId}) makes the group the viewer's own.
    groupKey: JSON.stringify([plan.key, topics, groupArgs, groupVariables, groupViewerId ?? '*']),
    groupViewerId,
  };
}
