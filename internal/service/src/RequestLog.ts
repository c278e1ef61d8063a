import type { ApolloServerPlugin, BaseContext, GraphQLResponse, HTTPGraphQLRequest } from '@apollo/server';
import type { Logger } from '@chatgraph/logging';
import type { RequestMetrics } from '@chatgraph/metrics';

/** What one request's operation was: filled in by {@link RequestLog.plugin}, or by {@link RequestLog.describe}. */
export interface RequestOperation {
  name: string | null;
  type: string | null;
  /** The first error's `extensions.code`, when the response carries errors. */
  errorCode?: string;
}

/** The fields of one request line. */
export interface RequestLine {
  operationName: string | null;
  /** `query`, `mutation`, `subscription`; null when the document did not parse or validate. */
  operationType: string | null;
  /** From the first byte of the body read to the response written. */
  durationMs: number;
  /** `ok`, or the code of the first error (the registry's codes, e.g. `UNAUTHENTICATED`). */
  outcome: string;
  status: number;
}

function firstErrorCode(response: GraphQLResponse): string | undefined {
  const result = response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult;
  const first = result.errors?.[0];
  if (!first) return undefined;
  const code = first.extensions?.code;
  return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
}

/**
 * One info line per HTTP GraphQL request (`graphql request`: operation name and type, duration in ms, outcome, HTTP
 * status), and the same facts as metrics ({@link RequestMetrics}: duration histogram, errors by code).
 * {@link nodeHttpHandler} times the request and finishes it; the Apollo plugin from {@link plugin} tells it what the
 * operation was and how it ended. A request refused before Apollo runs the operation (bad body, invalid token) is
 * logged and counted too, with the code of its error.
 */
export class RequestLog {
  private readonly operations = new WeakMap<HTTPGraphQLRequest, RequestOperation>();

  constructor(
    private readonly logger: Logger,
    private readonly metrics?: RequestMetrics,
  ) {}

  /** Whether requests are logged or measured at all: when not, they skip the bookkeeping. */
  get enabled(): boolean {
    return this.metrics !== undefined || this.logger.isLevelEnabled('info');
  }

  /** The Apollo Server plugin that records each operation's name, type and first error code. */
  plugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
    const operations = this.operations;
    const enabled = () => this.enabled;
    return {
      async requestDidStart({ request }) {
        if (!request.http || !enabled()) return;
        const operation: RequestOperation = { name: request.operationName ?? null, type: null };
        // Apollo hands the plugin the very request object the handler passed in: that is the key back to it.
        operations.set(request.http, operation);
        return {
          async willSendResponse(ctx) {
            operation.name = ctx.operationName ?? operation.name;
            operation.type = ctx.operation?.operation ?? null;
            operation.errorCode = firstErrorCode(ctx.response);
          },
        };
      },
    };
  }

  /** Records what `request`'s operation was, when something other than Apollo Server ran it (the gateway's direct lane). */
  describe(request: HTTPGraphQLRequest, operation: RequestOperation): void {
    if (this.enabled) this.operations.set(request, operation);
  }

  /**
   * Writes the line of a finished request and records its metrics; returns the line.
   * @param method the request's HTTP method
   * @param request the request given to Apollo, when it got that far
   * @param startedAt `performance.now()` when the request was received
   * @param body the response body, read for the error code only when Apollo did not run the operation
   */
  finish(
    method: string | undefined,
    request: HTTPGraphQLRequest | undefined,
    status: number,
    startedAt: number,
    body?: string,
  ): RequestLine {
    const operation = request ? this.operations.get(request) : undefined;
    const elapsedMs = performance.now() - startedAt;
    const line: RequestLine = {
      operationName: operation?.name ?? null,
      operationType: operation?.type ?? null,
      durationMs: Math.round(elapsedMs * 10) / 10,
      outcome: operation ? (operation.errorCode ?? 'ok') : refusalCode(status, body),
      status,
    };
    this.metrics?.observe({ ...line, method: method ?? 'GET', durationSeconds: elapsedMs / 1000 });
    this.logger.info(line, 'graphql request');
    return line;
  }
}

/** The code of a response Apollo wrote without running an operation (its body is one small error). */
function refusalCode(status: number, body: string | undefined): string {
  if (status < 400) return 'ok';
  try {
    const code = (JSON.parse(body ?? '') as { errors?: Array<{ extensions?: { code?: unknown } }> }).errors?.[0]
      ?.extensions?.code;
    if (typeof code === 'string') return code;
  } catch {
    // Not a GraphQL error body: the status says what happened.
  }
  return `HTTP_${status}`;
}
