import {
  execute,
  Kind,
  type DocumentNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { buildOperationContext, executeQueryPlan, type GraphQLDataSource } from '@apollo/gateway';
import { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types';
import type { OperationContext } from '@apollo/gateway/dist/operationContext';
import type { QueryPlan } from '@apollo/query-planner';
import type { GatewayGraphQLRequestContext, GatewaySchemaHash } from '@apollo/server-gateway-interface';
import { userError } from '@chatgraph/errors';
import type { Logger } from '@chatgraph/logging';
import type { GatewayContext } from '../auth/SubgraphDataSource';
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

/**
 * The only code that touches `@apollo/gateway`'s execution internals: it prepares operations, runs query plans with
 * `executeQueryPlan` against the current supergraph's data sources, and sends single operations to one subgraph as
 * the gateway does. Everything else in the engine works on plans and JSON. A supergraph reload gives it a new
 * runtime and new data sources (`load`).
 */
export class LivePlanExecutor {
  private runtime: SupergraphRuntime | undefined;
  private services: Record<string, GraphQLDataSource> = {};

  constructor(
    private readonly createServices: (runtime: SupergraphRuntime) => Record<string, GraphQLDataSource>,
    private readonly logger: Logger,
  ) {}

  /** Switches to a newly loaded supergraph. */
  load(runtime: SupergraphRuntime): void {
    this.runtime = runtime;
    this.services = this.createServices(runtime);
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
    const result = await executeQueryPlan(
      plan.queryPlan,
      services,
      this.requestContext(variables, context, plan.document),
      plan.operation,
      runtime.supergraphGraphQLSchema,
      runtime.apiSchema,
    );
    return { data: result.data, errors: result.errors?.map((e) => ('toJSON' in e ? e.toJSON() : e)) };
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
