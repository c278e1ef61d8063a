import { HeaderMap, type ApolloServerPlugin, type HTTPGraphQLRequest, type HTTPGraphQLResponse } from '@apollo/server';
import type { GatewayGraphQLRequestContext, GatewaySchemaHash } from '@apollo/server-gateway-interface';
import {
  GraphQLError,
  type DocumentNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import Negotiator from 'negotiator';
import type { Logger } from '@chatgraph/logging';
import type { DirectLane as Lane, RequestLog } from '@chatgraph/service';
import type { GatewayContext } from '../auth/SubgraphDataSource';
import type { ExecutedPlan, PreparedPlan } from '../execution/executePlan';
import { checkOperationLimits, type OperationLimits } from '../limits/operationLimits';
import { checkScopes } from '../scopes/checkScopes';

/** An operation Apollo Server parsed, validated and resolved: what serving it again needs. */
interface KnownOperation {
  /** The API schema it was validated against. */
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** Apollo's hash of the document (the plan cache's key). */
  queryHash: string;
}

/** What runs the operations: plan (variables checked, nothing fetched), then execute. */
export interface DirectRequests {
  planRequest(requestContext: GatewayGraphQLRequestContext): PreparedPlan | { errors: readonly GraphQLError[] };
  runRequest(plan: PreparedPlan, requestContext: GatewayGraphQLRequestContext): Promise<ExecutedPlan>;
}

/** Options of {@link DirectLane}. */
export interface DirectLaneOptions {
  requests: DirectRequests;
  limits: OperationLimits;
  /** Apollo Server's `formatError`, applied the same way. */
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  requestLog: RequestLog;
  logger: Logger;
  /** Documents remembered at most, and their parsed documents' total size (characters of their JSON). */
  max?: number;
  maxSize?: number;
}

/** What the lane did with the requests it saw, since start (on `/stats`). */
export interface DirectLaneStats {
  /** Answered without Apollo Server. */
  served: number;
  /** Left to Apollo Server: not a plain JSON POST of a known operation, or something Apollo answers with an error. */
  declined: number;
  /** Operations remembered. */
  known: number;
}

const APPLICATION_JSON = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_JSON = 'application/graphql-response+json; charset=utf-8';
/** What Apollo Server offers a client's `Accept` (the third, JSONP-like callback type, is left to it). */
const OFFERED = [APPLICATION_JSON, GRAPHQL_RESPONSE_JSON, 'application/json; callbackSpec=1.0; charset=utf-8'];
/** Distinct `Accept` headers whose answer is remembered (clients send a handful). */
const ACCEPT_MEMO_MAX = 64;
/** What the cache-control plugin of Apollo Server sets when the response has no cache policy (ours never has). */
const UNCACHEABLE = 'no-store';

/**
 * The gateway's direct lane: serves a query or mutation that Apollo Server has already parsed, validated and resolved
 * once, without running Apollo Server's request pipeline again. It is the same request, checked the same way: the
 * document as Apollo validated it (remembered by {@link plugin} for the current schema), the same context, the same
 * operation limits and scopes, the same variables check, the same executor, errors formatted as Apollo formats them,
 * the same status, headers and body. Whatever could make Apollo answer with an error before executing (a context that
 * fails, limits, scopes, variables, an `Accept` that needs negotiating differently, an unknown key in the body, a
 * persisted-query extension, a GET) is declined before anything runs, and Apollo Server answers it as always. Its
 * test runs every SDK operation and those corners through a gateway with and without the lane and compares the
 * responses byte for byte.
 *
 * Apollo Server's pipeline (plugins' hooks, hashing the document, request-context objects, header maps) took about a
 * sixth of the gateway's CPU per query; see docs/benchmarks.md.
 */
export class DirectLane {
  private readonly known: LRUCache<string, KnownOperation>;
  private readonly accepts = new Map<string, string | null>();
  private schema: GraphQLSchema | undefined;
  private served = 0;
  private declined = 0;

  constructor(private readonly options: DirectLaneOptions) {
    this.known = new LRUCache({
      max: options.max ?? 2000,
      // A parsed document takes far more memory than its text (a field is an object, its name another): sized by the
      // JSON of its tree, as Apollo Server sizes its own document store. 8 MiB of it is about 25 MB of heap.
      maxSize: options.maxSize ?? 8 * 1024 * 1024,
      sizeCalculation: (value) => JSON.stringify(value.document).length,
    });
  }

  /** Apollo Server has a new API schema: operations validated against another one are no longer served here. */
  schemaChanged(schema: GraphQLSchema): void {
    this.schema = schema;
    this.known.clear();
  }

  /** The Apollo Server plugin that remembers each POSTed query and mutation once Apollo has resolved it. */
  plugin(): ApolloServerPlugin<GatewayContext> {
    return {
      requestDidStart: async () => ({
        didResolveOperation: async ({ schema, document, operation, queryHash, request }) => {
          if (!operation || operation.operation === 'subscription') return;
          if (request.http?.method !== 'POST' || request.extensions || typeof request.query !== 'string') return;
          if (schema !== this.schema) return;
          // One over the limits is refused now (by the limits plugin) and not worth keeping.
          if (checkOperationLimits(schema, document, operation, request.variables, this.options.limits)) return;
          this.known.set(keyOf(request.query, request.operationName), { schema, document, operation, queryHash });
        },
      }),
    };
  }

  /** The lane itself, for `nodeHttpHandler`. */
  readonly handle: Lane<GatewayContext> = async (request, context) => {
    const response = await this.serve(request, context);
    if (response) this.served++;
    else this.declined++;
    return response;
  };

  stats(): DirectLaneStats {
    return { served: this.served, declined: this.declined, known: this.known.size };
  }

  private async serve(
    request: HTTPGraphQLRequest,
    context: () => Promise<GatewayContext>,
  ): Promise<HTTPGraphQLResponse | undefined> {
    if (request.method !== 'POST') return undefined;
    // A JSON body: Apollo's CSRF prevention lets it through (it is not a "simple" request).
    const type = request.headers.get('content-type');
    if (type !== 'application/json' && !type?.startsWith('application/json;')) return undefined;
    const contentType = this.contentTypeFor(request.headers.get('accept'));
    if (contentType === null) return undefined;
    const body = parseBody(request.body);
    if (!body) return undefined;
    const known = this.known.get(keyOf(body.query, body.operationName));
    if (!known || known.schema !== this.schema) return undefined;
    let contextValue: GatewayContext;
    try {
      contextValue = await context();
    } catch {
      return undefined; // Apollo Server answers with the same failure (401, 429, 503).
    }
    // A new schema may have come while the context was created (Apollo Server reads the schema after it).
    if (known.schema !== this.schema) return undefined;
    const { schema, document, operation } = known;
    if (checkOperationLimits(schema, document, operation, body.variables, this.options.limits)) return undefined;
    if (checkScopes(schema, document, operation, contextValue.scopes ?? undefined)) return undefined;
    const requestContext = this.requestContext(body, known, contextValue);
    let plan: ReturnType<DirectRequests['planRequest']>;
    try {
      plan = this.options.requests.planRequest(requestContext);
    } catch {
      return undefined; // No runtime yet, or the planner failed: nothing ran, and Apollo Server answers as it does.
    }
    if ('errors' in plan) return undefined;

    let result: ExecutedPlan;
    let status: number | undefined;
    const headers = new HeaderMap();
    let errors: GraphQLFormattedError[] | undefined;
    try {
      result = await this.options.requests.runRequest(plan, requestContext);
      if (result.errors?.length) {
        ({ errors, status } = this.formatErrors(result.errors, headers));
        // Apollo Server's rule for an execution that gave errors and no data at all.
        if (result.data === undefined && !status) status = 400;
      }
    } catch (err) {
      // Apollo Server answers an executor that throws with the error alone, 500 unless the error says otherwise.
      result = {};
      ({ errors, status } = this.formatErrors([asGraphQLError(err)], headers));
      status ??= 500;
    }
    if (!headers.has('cache-control')) headers.set('cache-control', UNCACHEABLE);
    if (!headers.has('content-type')) headers.set('content-type', contentType);
    this.options.requestLog.describe(request, {
      name: operation.name?.value || (body.operationName ?? null),
      type: operation.operation,
      errorCode: errors?.length ? firstCode(errors[0]!) : undefined,
    });
    const text = JSON.stringify({ errors, data: result.data, extensions: result.extensions }) + '\n';
    return { status, headers, body: { kind: 'complete', string: text } };
  }

  /** The content type Apollo Server would answer with for this `Accept`, or null to leave the request to it. */
  private contentTypeFor(accept: string | undefined): string | null {
    if (!accept) return APPLICATION_JSON;
    let chosen = this.accepts.get(accept);
    if (chosen === undefined) {
      const preferred = new Negotiator({ headers: { accept } }).mediaType(OFFERED);
      chosen = preferred === APPLICATION_JSON || preferred === GRAPHQL_RESPONSE_JSON ? preferred : null;
      if (this.accepts.size < ACCEPT_MEMO_MAX) this.accepts.set(accept, chosen);
    }
    return chosen;
  }

  /**
   * Errors as Apollo Server formats them: each a GraphQLError, `extensions.code` defaulting to INTERNAL_SERVER_ERROR,
   * an `extensions.http` taken out into the response's status and headers, then `formatError`.
   */
  private formatErrors(
    errors: readonly GraphQLError[],
    headers: HeaderMap,
  ): { errors: GraphQLFormattedError[]; status: number | undefined } {
    let status: number | undefined;
    const formatted = errors.map((graphqlError) => {
      const extensions: Record<string, unknown> = {
        ...graphqlError.extensions,
        code: graphqlError.extensions.code ?? 'INTERNAL_SERVER_ERROR',
      };
      const http = extensions.http as { status?: unknown; headers?: unknown } | undefined;
      if (isHttpHead(http)) {
        if (http.status) status = http.status;
        for (const [name, value] of http.headers ?? []) headers.set(name, value);
        delete extensions.http;
      }
      try {
        return this.options.formatError({ ...graphqlError.toJSON(), extensions }, graphqlError);
      } catch (err) {
        this.options.logger.error({ err }, 'formatError failed');
        return { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
      }
    });
    return { errors: formatted, status };
  }

  /** The request context Apollo Server hands a gateway's executor, with what the executor and data sources read. */
  private requestContext(
    body: DirectBody,
    known: KnownOperation,
    contextValue: GatewayContext,
  ): GatewayGraphQLRequestContext<GatewayContext> {
    return {
      request: { query: body.query, operationName: body.operationName, variables: body.variables },
      logger: this.options.logger,
      schema: known.schema,
      schemaHash: 'direct' as GatewaySchemaHash,
      context: contextValue,
      cache: NO_CACHE,
      queryHash: known.queryHash,
      document: known.document,
      source: body.query,
      operationName: known.operation.name?.value || null,
      operation: known.operation,
      metrics: {},
      overallCachePolicy: undefined,
      requestIsBatched: false,
    };
  }
}

/** The fields of a POST body the lane serves: exactly a query, and optionally an operation name and variables. */
interface DirectBody {
  query: string;
  operationName: string | undefined;
  variables: Record<string, unknown> | undefined;
}

const NO_CACHE = { get: async () => undefined, set: async () => undefined, delete: async () => true };

/** The body when it is one the lane serves as Apollo Server would read it, else undefined. Linear in its keys. */
function parseBody(body: unknown): DirectBody | undefined {
  if (!isRecord(body)) return undefined;
  let query: unknown;
  let operationName: unknown;
  let variables: unknown;
  for (const key of Object.keys(body)) {
    if (key === 'query') query = body[key];
    else if (key === 'operationName') operationName = body[key];
    else if (key === 'variables') variables = body[key];
    else return undefined;
  }
  if (typeof query !== 'string' || query === '') return undefined;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return undefined;
  if (variables !== undefined && variables !== null && !isRecord(variables)) return undefined;
  return {
    query,
    operationName: typeof operationName === 'string' ? operationName : undefined,
    variables: isRecord(variables) ? variables : undefined,
  };
}

/** What Apollo Server makes of a thrown value: a GraphQLError as is, else one wrapping it. */
function asGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  if (error instanceof Error) return new GraphQLError(error.message, { originalError: error });
  return new GraphQLError(`Unexpected error value: ${String(error)}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The key of a document and the operation named (GraphQL names never hold NUL, nor do documents that parse). */
function keyOf(query: string, operationName: string | undefined | null): string {
  return typeof operationName === 'string' ? `+${operationName}\0${query}` : `-${query}`;
}

function isHttpHead(value: unknown): value is { status?: number; headers?: Map<string, string> } {
  if (!value || typeof value !== 'object') return false;
  const head = value as { status?: unknown; headers?: unknown };
  return (
    (!('status' in head) || typeof head.status === 'number') && (!('headers' in head) || head.headers instanceof Map)
  );
}

function firstCode(error: GraphQLFormattedError): string {
  const code = error.extensions?.code;
  return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
}
