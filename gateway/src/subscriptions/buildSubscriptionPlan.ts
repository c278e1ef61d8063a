import {
  Kind,
  OperationTypeNode,
  parse,
  print,
  validate,
  visit,
  type ArgumentNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type VariableDefinitionNode,
} from 'graphql';
import { operationFromDocument } from '@apollo/federation-internals';
import type { FetchNode, PlanNode } from '@apollo/query-planner';
import { userError } from '@chatgraph/errors';
import type { LiveField } from './LiveFieldRegistry';
import { LivePlanExecutor, type EventSource, type ExecutablePlan } from './LivePlanExecutor';
import type { SupergraphRuntime } from './SupergraphRuntime';

/** Name of the stand-in service whose "response" to the primary fetch is the projected event. */
export const EVENT_SERVICE = '__live_event__';
/** Alias added to replay selections so the engine always sees an item's `seq`. */
export const SEQ_ALIAS = '_liveSeq';
/** The argument that resumes a subscription after a seq. */
export const AFTER_SEQ_ARG = 'afterSeq';

/** How to fetch the events after a seq with the same selection as the subscription: a planned federated query. */
export interface ReplayPlan {
  plan: ExecutablePlan;
  responseKey: string;
  /** Variables of the client operation the replay query also uses. */
  variableNames: string[];
}

/** How to ask the owning subgraph whether the viewer may subscribe. */
export interface AuthorizeQuery {
  query: string;
  /** Names of the subscription arguments passed on, with the variable of the same name. */
  argNames: string[];
}

/** How to ask the owning subgraph for the seq to resume after, from the subscription's own resume argument(s). */
export interface ResumeQuery {
  query: string;
  /** Names of the subscription arguments passed on (the resume point), with the variable of the same name. */
  argNames: string[];
}

/** Everything needed to run one subscription operation; cached per document and operation name. */
export interface SubscriptionPlan {
  key: string;
  fieldName: string;
  responseKey: string;
  live: LiveField;
  owner: string;
  operation: OperationDefinitionNode;
  /** The subscription's root field as written (its arguments are read per subscribe). */
  root: FieldNode;
  /** `Sequence[primary answered by EVENT_SERVICE, rest]`: runs the plan's `rest` with the event injected. */
  eventPlan: ExecutablePlan;
  /** How the event plan's primary fetch is answered: the raw event projected through the owner's schema. */
  eventSource: EventSource;
  /** True when `rest` calls the owning subgraph again, whose fields may depend on the viewer. */
  viewerDependent: boolean;
  replay?: ReplayPlan;
  authorize?: AuthorizeQuery;
  resume?: ResumeQuery;
}

function fetchNodes(node: PlanNode | undefined, out: FetchNode[] = []): FetchNode[] {
  if (!node) return out;
  switch (node.kind) {
    case 'Fetch':
      out.push(node);
      break;
    case 'Sequence':
    case 'Parallel':
      node.nodes.forEach((n) => fetchNodes(n, out));
      break;
    case 'Flatten':
      fetchNodes(node.node, out);
      break;
    case 'Condition':
      fetchNodes(node.ifClause, out);
      fetchNodes(node.elseClause, out);
      break;
    case 'Defer':
      fetchNodes(node.primary.node, out);
      node.deferred.forEach((d) => fetchNodes(d.node, out));
      break;
  }
  return out;
}

const name = (value: string) => ({ kind: Kind.NAME, value }) as const;
const variable = (value: string) => ({ kind: Kind.VARIABLE, name: name(value) }) as const;

function usedVariables(node: Parameters<typeof visit>[0]): Set<string> {
  const used = new Set<string>();
  visit(node, {
    Variable(v) {
      used.add(v.name.value);
    },
  });
  return used;
}

function buildReplayPlan(
  runtime: SupergraphRuntime,
  live: LiveField & { replay: string },
  root: FieldNode,
  operation: OperationDefinitionNode,
  fragments: FragmentDefinitionNode[],
): ReplayPlan {
  const queryType = runtime.apiGraphQLSchema.getQueryType();
  const replayField = queryType?.getFields()[live.replay];
  if (!replayField) throw new Error(`@live replay field Query.${live.replay} is not in the API schema`);
  const accepted = new Set(replayField.args.map((a) => a.name));
  const responseKey = root.alias?.value ?? root.name.value;
  const args: ArgumentNode[] = [
    ...(root.arguments ?? []).filter((a) => a.name.value !== AFTER_SEQ_ARG && accepted.has(a.name.value)),
    { kind: Kind.ARGUMENT, name: name(AFTER_SEQ_ARG), value: variable('_liveAfterSeq') },
    { kind: Kind.ARGUMENT, name: name('limit'), value: variable('_liveLimit') },
  ];
  const field: FieldNode = {
    kind: Kind.FIELD,
    alias: name(responseKey),
    name: name(live.replay),
    arguments: args,
    directives: [],
    selectionSet: {
      kind: Kind.SELECTION_SET,
      selections: [
        ...(root.selectionSet?.selections ?? []),
        { kind: Kind.FIELD, alias: name(SEQ_ALIAS), name: name('seq') },
      ],
    },
  };
  // Variables the replay field and the fragments use (not the operation's definitions, which mention them all).
  const used = usedVariables({
    kind: Kind.DOCUMENT,
    definitions: [
      ...fragments,
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: OperationTypeNode.QUERY,
        selectionSet: { kind: Kind.SELECTION_SET, selections: [field] },
      },
    ],
  });
  const variableDefinitions: VariableDefinitionNode[] = [
    ...(operation.variableDefinitions ?? []).filter((v) => used.has(v.variable.name.value)),
    {
      kind: Kind.VARIABLE_DEFINITION,
      variable: variable('_liveAfterSeq'),
      type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: name('Int') } },
    },
    {
      kind: Kind.VARIABLE_DEFINITION,
      variable: variable('_liveLimit'),
      type: { kind: Kind.NAMED_TYPE, name: name('Int') },
    },
  ];
  const document: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: OperationTypeNode.QUERY,
        name: name('LiveReplay'),
        variableDefinitions,
        directives: [],
        selectionSet: { kind: Kind.SELECTION_SET, selections: [field] },
      },
      ...fragments,
    ],
  };
  const errors = validate(runtime.apiGraphQLSchema, document);
  if (errors.length) throw new Error(`replay query for ${live.field} does not validate: ${errors[0]!.message}`);
  const queryPlan = runtime.planner.buildQueryPlan(
    operationFromDocument(runtime.apiSchema, document, { operationName: 'LiveReplay' }),
  );
  return {
    plan: { queryPlan, operation: LivePlanExecutor.prepare(runtime, document, 'LiveReplay'), document },
    responseKey,
    variableNames: variableDefinitions.map((v) => v.variable.name.value).filter((n) => !n.startsWith('_live')),
  };
}

/**
 * A query of the owning subgraph's Query field `fieldName` answering as `alias`, passing on the subscription arguments
 * the field takes (each as the variable of the same name).
 */
function ownerQuery(
  ownerSchema: GraphQLSchema,
  kind: 'authorize' | 'resume',
  fieldName: string,
  alias: string,
  subscriptionArgs: string[],
): { query: string; argNames: string[] } {
  const field = ownerSchema.getQueryType()?.getFields()[fieldName];
  if (!field) throw new Error(`@live ${kind} field Query.${fieldName} is not in the owning subgraph`);
  const argNames = field.args.map((a) => a.name).filter((n) => subscriptionArgs.includes(n));
  const defs = argNames.map((n) => `$${n}: ${String(field.args.find((a) => a.name === n)!.type)}`).join(', ');
  const call = argNames.map((n) => `${n}: $${n}`).join(', ');
  const name = kind === 'authorize' ? 'LiveAuthorize' : 'LiveResume';
  const query = `query ${name}${defs ? `(${defs})` : ''} { ${alias}: ${fieldName}${call ? `(${call})` : ''} }`;
  return { query, argNames };
}

/**
 * Plans a subscription operation (already validated against the API schema): the query planner's `SubscriptionNode`
 * gives the owning subgraph's primary fetch and the `rest` that resolves other subgraphs' fields; from the `@live`
 * directive come the topic, the authorization query and the replay query. Throws a coded GraphQLError for
 * operations the engine cannot serve.
 */
export function buildSubscriptionPlan(
  runtime: SupergraphRuntime,
  document: DocumentNode,
  operationName: string | undefined,
  key: string,
): SubscriptionPlan {
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const operation = operationName
    ? operations.find((o) => o.name?.value === operationName)
    : operations.length === 1
      ? operations[0]
      : undefined;
  if (!operation) throw userError('BAD_USER_INPUT', 'Name the operation to run (operationName).');
  const fragments = document.definitions.filter(
    (d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION,
  );
  const roots = operation.selectionSet.selections;
  const root = roots.length === 1 && roots[0]!.kind === Kind.FIELD ? roots[0] : undefined;
  if (!root) throw userError('BAD_USER_INPUT', 'A subscription selects exactly one root field, without fragments.');
  const fieldName = root.name.value;
  const live = runtime.liveFields.get(fieldName);
  if (!live) throw userError('BAD_USER_INPUT', `Subscription.${fieldName} is not a live field of this gateway.`);

  const plan = runtime.planner.buildQueryPlan(
    operationFromDocument(runtime.apiSchema, document, { operationName: operation.name?.value }),
  );
  if (plan.node?.kind !== 'Subscription') throw new Error(`planning ${fieldName} did not give a subscription plan`);
  const { primary, rest } = plan.node;
  const owner = primary.serviceName;
  const ownerSchema = runtime.subgraphSchema(owner);
  const subscriptionFields = runtime.apiGraphQLSchema.getSubscriptionType()!.getFields();
  const argNames = subscriptionFields[fieldName]!.args.map((a) => a.name);
  return {
    key,
    fieldName,
    responseKey: root.alias?.value ?? fieldName,
    live,
    owner,
    operation,
    root,
    eventPlan: {
      queryPlan: {
        kind: 'QueryPlan',
        node: { kind: 'Sequence', nodes: [{ ...primary, serviceName: EVENT_SERVICE }, ...(rest ? [rest] : [])] },
      },
      operation: LivePlanExecutor.prepare(runtime, document, operation.name?.value),
    },
    eventSource: { serviceName: EVENT_SERVICE, document: parse(primary.operation), schema: ownerSchema, fieldName },
    viewerDependent: fetchNodes(rest).some((f) => f.serviceName === owner),
    replay: live.replay
      ? buildReplayPlan(runtime, { ...live, replay: live.replay }, root, operation, fragments)
      : undefined,
    authorize: live.authorize ? ownerQuery(ownerSchema, 'authorize', live.authorize, 'allowed', argNames) : undefined,
    resume: live.resume ? ownerQuery(ownerSchema, 'resume', live.resume, 'seq', argNames) : undefined,
  };
}

/** The cache key of an operation: its printed document and operation name. */
export function planKey(document: DocumentNode, operationName: string | undefined): string {
  return `${operationName ?? ''}#${print(document)}`;
}
