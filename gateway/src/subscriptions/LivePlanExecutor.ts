import {
  execute,
  GraphQLError,
  Kind,
  type DocumentNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { operationFromDocument } from '@apollo/federation-internals';
import { buildOperationContext, type GraphQLDataSource } from '@apollo/gateway';
import { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types';
import type { OperationContext } from '@apollo/gateway/dist/operationContext';
import type { QueryPlan } from '@apollo/query-planner';
import type {
  GatewayExecutor,
  GatewayGraphQLRequestContext,
  GatewaySchemaHash,
} from '@apollo/server-gateway-interface';
import { LRUCache } from 'lru-cache';
import { userError } from '@chatgraph/errors';
import type { Logger } from '@chatgraph/logging';
import { inSpan } from '@chatgraph/telemetry';
import type { GatewayContext } from '../auth/SubgraphDataSource';
import { executePlan, preparePlan, type ExecutedPlan, type PreparedPlan } from '../execution/executePlan';
import { CarriedEntitiesDataSource, carriedEntities } from './CarriedEntities';
import type { SupergraphRuntime } from './SupergraphRuntime';

/** An operation prepared for `executeQueryPlan` (what `@apollo/gateway` calls its operation context). Opaque. */
export type PreparedOperation = OperationContext;

/** A query plan and what executing it needs: the plan, its prepared operation and (for logs) its document. */
export interface ExecutablePlan {
  queryPlan: QueryPlan;
  operation: PreparedOperation;
  document?: DocumentNode;
}

/** The result of executing a plan: data as JSON, errors as executed (not yet formatted for clients). */
export interface PlanResult {
  data?: Record<string, unknown> | null;
  errors?: ReadonlyArray<GraphQLFormattedError>;
}

/** Answers the primary fetch of an event plan with the raw event, projected through the owner's schema. */
export interface EventSource {
  /** Name the event plan gives the primary fetch's service. */
  serviceName: string;
  /** The primary fetch's operation, parsed. */
  document: DocumentNode;
  /** Schema of the owning subgraph. */
  schema: GraphQLSchema;
  /** Root field the raw event stands for. */
  fieldName: string;
}

/** Client operations whose prepared plans are kept (least recently used dropped). */
const REQUEST_PLANS_MAX = 2000;

/**
 * Runs every federated operation of the gateway: the queries and mutations clients send over HTTP
 * ({@link executeRequest}, the executor Apollo Server calls) and the live executions of subscriptions. It plans with
 * the current supergraph's query planner, keeps prepared plans, runs them with {@link executePlan} against the
 * supergraph's data sources, and sends single operations to one subgraph as the gateway does. It is the only code
 * that touches `@apollo/gateway`'s execution internals; everything else in the engine works on plans and JSON. A
 * supergraph reload gives it a new runtime, new data sources and empty plan caches (`load`).
 */
export class LivePlanExecutor {
  private runtime: SupergraphRuntime | undefined;
  private services: Record<string, GraphQLDataSource> = {};
  /** Plans of client operations by query hash and operation name, for the current runtime. */
  private requestPlans = new LRUCache<string, PreparedPlan>({ max: REQUEST_PLANS_MAX });
  /** Live plans prepared for execution (each built once per subscription plan). */
  private livePlans = new WeakMap<ExecutablePlan, PreparedPlan>();

  constructor(
    private readonly createServices: (runtime: SupergraphRuntime) => Record<string, GraphQLDataSource>,
    private readonly logger: Logger,
  ) {}

  /** Switches to a newly loaded supergraph. */
  load(runtime: SupergraphRuntime): void {
    this.runtime = runtime;
    this.services = this.createServices(runtime);
    this.requestPlans = new LRUCache({ max: REQUEST_PLANS_MAX });
    this.livePlans = new WeakMap();
  }

  /**
   * Executes a client's query or mutation (what Apollo Server hands a gateway once the document is parsed and
   * validated): its variables checked against the operation, its plan taken from the cache or planned, then run.
   */
  readonly executeRequest: GatewayExecutor = (requestContext) => {
    const planned = this.planRequest(requestContext);
    return 'errors' in planned ? Promise.resolve({ errors: planned.errors }) : this.runRequest(planned, requestContext);
  };

  /**
   * The prepared plan of a client operation (from the cache, else planned and kept), or the errors its variables
   * give when they do not fit the operation's definitions. Nothing is fetched.
   */
  planRequest(requestContext: GatewayGraphQLRequestContext): PreparedPlan | { errors: readonly GraphQLError[] } {
    const runtime = this.requireRuntime();
    const { request, document, queryHash } = requestContext;
    const key = request.operationName ? `${queryHash}\0${request.operationName}` : queryHash;
    let plan = this.requestPlans.get(key);
    if (!plan) {
      let operationContext: OperationContext;
      try {
        operationContext = buildOperationContext({
          schema: runtime.apiGraphQLSchema,
          operationDocument: document,
          operationName: request.operationName,
        });
      } catch (err) {
        // No operation of that name, or several and no name: an answer, which Apollo Server sends with a 400
        // (OPERATION_RESOLUTION_FAILURE). Thrown, it became a 500.
        if (err instanceof GraphQLError) return { errors: [err] };
        throw err;
      }
      const operation = operationFromDocument(runtime.apiSchema, document, { operationName: request.operationName });
      plan = preparePlan(runtime.planner.buildQueryPlan(operation), operationContext, runtime.apiSchema);
      this.requestPlans.set(key, plan);
    }
    const definitions = plan.operationContext.operation.variableDefinitions;
    if (definitions?.length) {
      const { errors } = getVariableValues(runtime.apiGraphQLSchema, definitions, request.variables ?? {});
      if (errors) return { errors };
    }
    return plan;
  }

  /** Runs a plan from {@link planRequest} for its request. */
  runRequest(plan: PreparedPlan, requestContext: GatewayGraphQLRequestContext): Promise<ExecutedPlan> {
    const runtime = this.requireRuntime();
    return inSpan('gateway.execute', {}, () =>
      executePlan(plan, this.services, requestContext, runtime.supergraphGraphQLSchema),
    );
  }

  /** Prepares an operation of `document` for execution against `runtime`'s API schema. */
  static prepare(runtime: SupergraphRuntime, document: DocumentNode, operationName?: string): PreparedOperation {
    return buildOperationContext({ schema: runtime.apiGraphQLSchema, operationDocument: document, operationName });
  }

  /** Runs a planned federated query (a replay page) as `context`'s user. */
  run(plan: ExecutablePlan, variables: Record<string, unknown>, context: GatewayContext): Promise<PlanResult> {
    return this.execute(plan, this.services, variables, context);
  }

  /**
   * Runs an event plan: its primary fetch is answered by projecting `raw` through the owner's schema (no network),
   * then the plan's `rest` fetches other subgraphs' fields, except the entities the event carries (`_entities`: see
   * {@link CarriedEntitiesDataSource}).
   */
  runEvent(
    plan: ExecutablePlan,
    source: EventSource,
    raw: unknown,
    variables: Record<string, unknown>,
    context: GatewayContext,
  ): Promise<PlanResult> {
    const eventService: GraphQLDataSource = {
      process: async ({ request }) => {
        const projected = await execute({
          schema: source.schema,
          document: source.document,
          rootValue: { [source.fieldName]: raw },
          variableValues: request.variables,
        });
        return { data: projected.data ?? null, errors: projected.errors?.map((e) => e.toJSON()) };
      },
    };
    const carried = carriedEntities(raw);
    const services: Record<string, GraphQLDataSource> = carried
      ? Object.fromEntries(
          Object.entries(this.services).map(([name, s]) => [name, new CarriedEntitiesDataSource(s, carried)]),
        )
      : { ...this.services };
    services[source.serviceName] = eventService;
    return this.execute(plan, services, variables, context);
  }

  /** Sends one operation to one subgraph as `context`'s user, the way the gateway's own fetches do. */
  async callSubgraph(
    name: string,
    query: string,
    variables: Record<string, unknown>,
    context: GatewayContext,
  ): Promise<PlanResult> {
    const service = this.services[name];
    if (!service) throw userError('SERVICE_UNAVAILABLE', `The ${name} service is not configured.`);
    const response = await service.process({
      kind: GraphQLDataSourceRequestKind.INCOMING_OPERATION,
      request: { query, variables },
      context,
      incomingRequestContext: this.requestContext(variables, context),
    });
    return { data: response.data, errors: response.errors };
  }

  private async execute(
    plan: ExecutablePlan,
    services: Record<string, GraphQLDataSource>,
    variables: Record<string, unknown>,
    context: GatewayContext,
  ): Promise<PlanResult> {
    const runtime = this.requireRuntime();
    let prepared = this.livePlans.get(plan);
    if (!prepared) {
      prepared = preparePlan(plan.queryPlan, plan.operation, runtime.apiSchema);
      this.livePlans.set(plan, prepared);
    }
    const ready = prepared;
    const result = await inSpan('gateway.execute', {}, () =>
      executePlan(
        ready,
        services,
        this.requestContext(variables, context, plan.document),
        runtime.supergraphGraphQLSchema,
      ),
    );
    return { data: result.data, errors: result.errors?.map((e) => e.toJSON()) };
  }

  private requireRuntime(): SupergraphRuntime {
    if (!this.runtime)
      throw userError('SERVICE_UNAVAILABLE', 'The gateway has not loaded its schema yet; retry shortly.');
    return this.runtime;
  }

  /**
   * The request context `executeQueryPlan` and data sources expect from Apollo Server. Live executions have no HTTP
   * request behind them, so it is built here with what they read: variables, schema, our context, a logger.
   */
  private requestContext(
    variables: Record<string, unknown>,
    context: GatewayContext,
    document?: DocumentNode,
  ): GatewayGraphQLRequestContext<GatewayContext> {
    const runtime = this.requireRuntime();
    const operation = document?.definitions.find(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
    );
    return {
      request: { variables },
      logger: this.logger,
      schema: runtime.apiGraphQLSchema,
      schemaHash: 'live' as GatewaySchemaHash,
      context,
      cache: { get: async () => undefined, set: async () => undefined, delete: async () => true },
      queryHash: '',
      document: document ?? { kind: Kind.DOCUMENT, definitions: [] },
      source: '',
      operationName: operation?.name?.value ?? null,
      operation: operation!,
      metrics: {},
      overallCachePolicy: undefined,
    };
  }
}
