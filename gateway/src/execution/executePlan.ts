import {
  executeSync,
  GraphQLError,
  Kind,
  OperationTypeNode,
  visit,
  type FieldNode,
  type GraphQLSchema,
  type VariableDefinitionNode,
} from 'graphql';
import { operationFromDocument, type Operation, type Schema } from '@apollo/federation-internals';
import type { GraphQLDataSource } from '@apollo/gateway';
import { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types';
import type { OperationContext } from '@apollo/gateway/dist/operationContext';
import { applyRewrites, isObjectOfType } from '@apollo/gateway/dist/dataRewrites';
import { deepMerge } from '@apollo/gateway/dist/utilities/deepMerge';
import {
  evaluateCondition,
  getResponseName,
  type FetchNode,
  type PlanNode,
  type QueryPlan,
  type QueryPlanSelectionNode,
  type ResponsePath,
} from '@apollo/query-planner';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { compileShape, shapeResponse, type ResponseShape } from './shapeResponse';
import { downstreamServiceError, lazyErrorPaths } from './subgraphErrors';

/**
 * A query plan ready to run many times: the plan, the operation it was planned from (as `@apollo/gateway` prepares
 * it), and that operation in the form result shaping walks. Building the last one walks the whole document against
 * the schema, which `@apollo/gateway`'s own `executeQueryPlan` does on every request; here it is done once per plan.
 */
export interface PreparedPlan {
  queryPlan: QueryPlan;
  operationContext: OperationContext;
  operation: Operation;
  /** The operation's selections as result shaping walks them. */
  shape: ResponseShape;
}

/** Prepares `queryPlan`, planned from `operationContext`, for {@link executePlan} against `apiSchema`. */
export function preparePlan(queryPlan: QueryPlan, operationContext: OperationContext, apiSchema: Schema): PreparedPlan {
  const operation = operationFromDocument(
    apiSchema,
    {
      kind: Kind.DOCUMENT,
      definitions: [operationContext.operation, ...Object.values(operationContext.fragments)],
    },
    { validate: false },
  );
  return { queryPlan, operationContext, operation, shape: compileShape(operation) };
}

/** What {@link executePlan} returns: the shaped data and every error (subgraph errors with their paths rewritten). */
export interface ExecutedPlan {
  data?: Record<string, unknown> | null;
  errors?: GraphQLError[];
  extensions?: Record<string, unknown>;
}

interface Cursor {
  path: ResponsePath;
  data: unknown;
  fullResult: Record<string, unknown>;
}

interface Run {
  services: Record<string, GraphQLDataSource>;
  requestContext: GatewayGraphQLRequestContext<Record<string, unknown>>;
  operation: Operation;
  supergraphSchema: GraphQLSchema;
  errors: GraphQLError[];
}

/**
 * Runs a prepared query plan: fetches in the plan's order (sequences in turn, parallel nodes together, entity fetches
 * with the representations their `requires` selects), merged into one tree, then shaped to the operation (requested
 * fields only, aliases, nulls bubbled up to the nearest nullable field, introspection answered locally).
 *
 * The same semantics as `@apollo/gateway`'s `executeQueryPlan` (its result shaping, rewrites and merging are the ones
 * used here), without what a gateway that does not report to Apollo's usage service pays for on every request: the
 * operation rebuilt from the document, a usage-reporting trace tree, and four tracing spans per request plus one per
 * fetch (each fetch already has its own client span, and the caller wraps the whole in one).
 */
export async function executePlan(
  plan: PreparedPlan,
  services: Record<string, GraphQLDataSource>,
  requestContext: GatewayGraphQLRequestContext<Record<string, unknown>>,
  supergraphSchema: GraphQLSchema,
): Promise<ExecutedPlan> {
  const run: Run = { services, requestContext, operation: plan.operation, supergraphSchema, errors: [] };
  const unfilteredData: Record<string, unknown> = Object.create(null);
  const root = plan.queryPlan.node;
  if (root?.kind === 'Subscription') throw new Error('Execution of subscriptions not supported by gateway');
  if (root) await executeNode(run, root, { path: [], data: unfilteredData, fullResult: unfilteredData });
  const { operationContext } = plan;
  const variables = requestContext.request.variables;
  let shaped: ReturnType<typeof shapeResponse>;
  try {
    shaped = shapeResponse(plan.shape, unfilteredData, variables, (field) =>
      executeIntrospection(
        operationContext.schema,
        field.expandFragments().toSelectionNode(),
        operationContext.operation.variableDefinitions,
        variables,
      ),
    );
  } catch (err) {
    if (err instanceof GraphQLError) return { errors: [err] };
    return { errors: [new GraphQLError((err as Error).message, { originalError: err as Error })] };
  }
  if (run.errors.length === 0 && shaped.errors.length > 0) {
    return { data: shaped.data, extensions: { valueCompletion: shaped.errors } };
  }
  return run.errors.length === 0 ? { data: shaped.data } : { data: shaped.data, errors: run.errors };
}

async function executeNode(run: Run, node: PlanNode, cursor: Cursor | undefined): Promise<void> {
  if (!cursor) return;
  switch (node.kind) {
    case 'Sequence':
      for (const child of node.nodes) await executeNode(run, child, cursor);
      return;
    case 'Parallel':
      await Promise.all(node.nodes.map((child) => executeNode(run, child, cursor)));
      return;
    case 'Flatten':
      return executeNode(run, node.node, moveIntoCursor(cursor, node.path));
    case 'Fetch':
      try {
        await executeFetch(run, node, cursor);
      } catch (err) {
        // A fetch that failed outright (a malformed answer, an unknown service) is an error of this response only.
        run.errors.push(
          err instanceof GraphQLError ? err : new GraphQLError((err as Error).message, { originalError: err as Error }),
        );
      }
      return;
    case 'Condition': {
      const holds = evaluateCondition(node, run.operation.variableDefinitions, run.requestContext.request.variables);
      const branch = holds ? node.ifClause : node.elseClause;
      if (branch) await executeNode(run, branch, cursor);
      return;
    }
    default:
      throw new Error(`query plan node ${node.kind} is not supported by the gateway`);
  }
}

type Entity = Record<string, unknown>;

async function executeFetch(run: Run, fetch: FetchNode, cursor: Cursor): Promise<void> {
  const service = run.services[fetch.serviceName];
  if (!service) throw new Error(`Couldn't find service with name "${fetch.serviceName}"`);
  const entities: Entity[] = Array.isArray(cursor.data)
    ? (cursor.data as Array<Entity | null | undefined>).filter((e): e is Entity => e !== null && e !== undefined)
    : [cursor.data as Entity];
  if (entities.length < 1) return;
  const provided = run.requestContext.request.variables;
  const variables: Record<string, unknown> = Object.create(null);
  for (const name of fetch.variableUsages ?? []) {
    if (provided && Object.prototype.hasOwnProperty.call(provided, name) && provided[name] !== undefined) {
      variables[name] = provided[name];
    }
  }
  if (!fetch.requires) {
    const received = await sendOperation(run, service, fetch, cursor, variables);
    if (received) applyRewrites(run.supergraphSchema, fetch.outputRewrites, received);
    for (const entity of entities) deepMerge(entity, received);
    return;
  }
  const representations: Entity[] = [];
  const representationToEntity: number[] = [];
  entities.forEach((entity, index) => {
    const representation = selectRepresentation(run.supergraphSchema, entity, fetch.requires!);
    if (representation && representation.__typename) {
      applyRewrites(run.supergraphSchema, fetch.inputRewrites, representation);
      representations.push(representation);
      representationToEntity.push(index);
    }
  });
  if (representations.length < 1) return;
  if ('representations' in variables) throw new Error('Variables cannot contain key "representations"');
  const received = await sendOperation(run, service, fetch, cursor, { ...variables, representations });
  if (!received) return;
  const receivedEntities = received._entities;
  if (!Array.isArray(receivedEntities)) throw new Error('Expected "data._entities" in response to be an array');
  if (receivedEntities.length !== representations.length) {
    throw new Error(`Expected "data._entities" to contain ${representations.length} elements`);
  }
  for (let i = 0; i < receivedEntities.length; i++) {
    const receivedEntity = receivedEntities[i] as Entity | null;
    const existing = entities[representationToEntity[i]!]!;
    if (receivedEntity && !receivedEntity.__typename) receivedEntity.__typename = existing.__typename;
    if (receivedEntity) applyRewrites(run.supergraphSchema, fetch.outputRewrites, receivedEntity);
    deepMerge(existing, receivedEntity);
  }
}

async function sendOperation(
  run: Run,
  service: GraphQLDataSource,
  fetch: FetchNode,
  cursor: Cursor,
  variables: Record<string, unknown>,
): Promise<Entity | null | undefined> {
  const response = await service.process({
    kind: GraphQLDataSourceRequestKind.INCOMING_OPERATION,
    request: { query: fetch.operation, variables, operationName: fetch.operationName },
    incomingRequestContext: run.requestContext,
    context: run.requestContext.context,
    document: fetch.operationDocumentNode,
    pathInIncomingRequest: cursor.path,
  });
  if (response.errors) {
    const errorPath = lazyErrorPaths(fetch, cursor);
    for (const error of response.errors) run.errors.push(downstreamServiceError(error, fetch.serviceName, errorPath));
  }
  return response.data as Entity | null | undefined;
}

/** The representation of `source` an entity fetch sends: the fields its `requires` selects, or null if one is missing. */
function selectRepresentation(
  schema: GraphQLSchema,
  source: Entity | null,
  selections: readonly QueryPlanSelectionNode[],
): Entity | null {
  if (source === null) return null;
  const result: Entity = Object.create(null);
  for (const selection of selections) {
    if (selection.kind === Kind.FIELD) {
      const responseName = getResponseName(selection);
      const value = Object.prototype.hasOwnProperty.call(source, responseName) ? source[responseName] : undefined;
      if (value === undefined) return null;
      const sub = selection.selections;
      if (Array.isArray(value)) {
        result[responseName] = value.map((v) => (sub ? selectRepresentation(schema, v as Entity | null, sub) : v));
      } else if (sub) {
        result[responseName] = selectRepresentation(schema, value as Entity | null, sub);
      } else {
        result[responseName] = value;
      }
    } else if (selection.typeCondition && isObjectOfType(schema, source, selection.typeCondition)) {
      deepMerge(result, selectRepresentation(schema, source, selection.selections));
    }
  }
  return result;
}

function moveIntoCursor(cursor: Cursor, pathInCursor: ResponsePath): Cursor | undefined {
  const data = flattenResultsAtPath(cursor.data, pathInCursor);
  return data ? { path: cursor.path.concat(pathInCursor), data, fullResult: cursor.fullResult } : undefined;
}

function flattenResultsAtPath(value: unknown, path: ResponsePath): unknown {
  if (path.length === 0 || value === undefined || value === null) return value;
  const [current, ...rest] = path;
  if (current === '@') return (value as unknown[]).flatMap((element) => flattenResultsAtPath(element, rest));
  if (typeof current !== 'string') throw new Error(`Unexpected ${typeof current} found in path`);
  if (Array.isArray(value)) throw new Error(`Unexpected array in result for path element ${current}`);
  const own = Object.prototype.hasOwnProperty.call(value, current) ? (value as Entity)[current] : undefined;
  return flattenResultsAtPath(own, rest);
}

/**
 * Answers an introspection field (`__schema`, `__type`) of the operation against the API schema, with the variable
 * definitions it uses.
 */
function executeIntrospection(
  schema: GraphQLSchema,
  selection: FieldNode,
  variableDefinitions: readonly VariableDefinitionNode[] | undefined,
  variableValues: Record<string, unknown> | undefined,
): unknown {
  const used = new Set<string>();
  visit(selection, { Variable: ({ name }) => void used.add(name.value) });
  const { data, errors } = executeSync({
    schema,
    document: {
      kind: Kind.DOCUMENT,
      definitions: [
        {
          kind: Kind.OPERATION_DEFINITION,
          operation: OperationTypeNode.QUERY,
          variableDefinitions: variableDefinitions?.filter((d) => used.has(d.variable.name.value)),
          selectionSet: { kind: Kind.SELECTION_SET, selections: [selection] },
        },
      ],
    },
    rootValue: {},
    variableValues,
  });
  if (errors?.length || !data)
    throw new Error(`Introspection of ${selection.name.value} failed: ${JSON.stringify(errors)}`);
  return data[selection.alias?.value ?? selection.name.value];
}
