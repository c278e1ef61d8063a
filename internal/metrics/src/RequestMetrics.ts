import { DURATION_BUCKETS } from './buckets';
import type { ProcessMetrics } from './ProcessMetrics';

/** One answered GraphQL-over-HTTP request. */
export interface ObservedRequest {
  method: string;
  status: number;
  /** `query`, `mutation`, `subscription`; null when the document did not parse or validate. */
  operationType: string | null;
  operationName: string | null;
  /** `ok`, or the code of the first error. */
  outcome: string;
  durationSeconds: number;
}

/** Label value of an operation name that is not on the allow-list. */
export const OTHER_OPERATION = 'other';

const METHODS = new Set(['GET', 'POST', 'OPTIONS', 'HEAD']);

/**
 * The request metrics of a GraphQL server, named as OpenTelemetry's HTTP semantic conventions and Apollo Router name
 * them, with bounded label sets:
 * - `http_server_request_duration_seconds{http_request_method, http_response_status_code, graphql_operation_type,
 *   graphql_operation_name}`: a histogram (its `_count` counts requests);
 * - `graphql_errors_total{code, graphql_operation_type}`: requests answered with errors, by the first error's code.
 *
 * An operation name becomes a label only when it is on the allow-list (the SDK's operations); any other is `other`,
 * so a client inventing names cannot grow the series without bound. Methods outside GET/POST/OPTIONS/HEAD are
 * `_OTHER`, as the conventions say.
 */
export class RequestMetrics {
  private readonly duration;
  private readonly errors;
  private readonly allowed: ReadonlySet<string>;

  constructor(metrics: ProcessMetrics, operationNames: Iterable<string> = []) {
    this.allowed = new Set(operationNames);
    this.duration = metrics.histogram(
      'http_server_request_duration_seconds',
      'Duration of HTTP GraphQL requests, from the first byte read to the response written.',
      ['http_request_method', 'http_response_status_code', 'graphql_operation_type', 'graphql_operation_name'],
      DURATION_BUCKETS,
    );
    this.errors = metrics.counter(
      'graphql_errors_total',
      'GraphQL requests answered with errors, by the code of the first error.',
      ['code', 'graphql_operation_type'],
    );
  }

  /** The label value of an operation name. */
  operationLabel(name: string | null): string {
    if (name === null || name === '') return '';
    return this.allowed.has(name) ? name : OTHER_OPERATION;
  }

  /** Records one answered request. */
  observe(request: ObservedRequest): void {
    const type = request.operationType ?? '';
    this.duration.observe(
      {
        http_request_method: METHODS.has(request.method) ? request.method : '_OTHER',
        http_response_status_code: request.status,
        graphql_operation_type: type,
        graphql_operation_name: this.operationLabel(request.operationName),
      },
      request.durationSeconds,
    );
    if (request.outcome !== 'ok') this.errors.inc({ code: request.outcome, graphql_operation_type: type });
  }
}
