import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  HeaderMap,
  type ApolloServer,
  type BaseContext,
  type ContextThunk,
  type HTTPGraphQLRequest,
  type HTTPGraphQLResponse,
} from '@apollo/server';
import { GraphQLError } from 'graphql';
import { REQUEST_ID_HEADER, requestIdFrom, withRequestScope } from '@chatgraph/logging';
import { contextFrom, inSpan, SpanKind, type Span } from '@chatgraph/telemetry';
import type { RequestLine, RequestLog } from './RequestLog';

/**
 * Looks at a request before Apollo Server does (its parsed body, or the query string of a GET) and returns the error
 * to answer instead, or undefined to go on. The error's `extensions.http.status` is the response status (400 unset).
 */
export type RequestScreen = (request: HTTPGraphQLRequest) => GraphQLError | undefined;

/**
 * Answers some requests instead of Apollo Server (the gateway's direct lane): given a parsed request that passed the
 * screen and its context, it returns the whole response, or undefined to leave the request to Apollo Server. The
 * context is created at most once per request: when the lane asked for it and then declined, Apollo Server gets the
 * same one (or the same failure), so a rate limit is never charged twice.
 */
export type DirectLane<TContext> = (
  request: HTTPGraphQLRequest,
  context: () => Promise<TContext>,
) => Promise<HTTPGraphQLResponse | undefined>;

/** Largest request body accepted, in bytes. @default 1 MiB */
export const MAX_BODY_BYTES = 1024 * 1024;

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLarge());
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Writes `body` as a JSON response with its length; returns the text written. */
export function sendJson(res: ServerResponse, status: number, body: unknown): string {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
  return text;
}

/**
 * Checks a request against the exact bytes it carries, before they are parsed: returns what the context needs to
 * know (e.g. the verified identity) or throws a `GraphQLError` (its `extensions.http.status` is the HTTP status).
 * `bytes` is the body of a POST and the query string of any other method.
 */
export type RequestAuthenticator<TAuth> = (req: IncomingMessage, bytes: Buffer) => TAuth;

/**
 * Serves an Apollo Server on a plain Node `http` server: reads the body (bounded), lets `authenticate` check the raw
 * bytes, parses them (JSON), maps headers, runs `executeHTTPGraphQLRequest` and writes the response (including
 * incremental chunks). A malformed body is a 400 with a GraphQL-shaped error, never a crash; a refused request is
 * answered with the authenticator's error before anything is parsed, and a {@link RequestScreen} may refuse a parsed
 * request before Apollo sees it, and a {@link DirectLane} may answer it without Apollo. With a {@link RequestLog} (its
 * plugin installed on `server`), every request is logged and measured once it is answered.
 *
 * Each request runs in a server span that continues the caller's W3C `traceparent` (a client's, or the gateway's for
 * a subgraph), and in a request scope whose id (the caller's `x-request-id` when sane, else a new one) is echoed in
 * the response and carried by every log line written meanwhile.
 */
export function nodeHttpHandler<TContext extends BaseContext, TAuth = undefined>(
  server: ApolloServer<TContext>,
  context: (req: IncomingMessage, auth: TAuth) => Promise<TContext>,
  requestLog?: RequestLog,
  authenticate?: RequestAuthenticator<TAuth>,
  screen?: RequestScreen,
  direct?: DirectLane<TContext>,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return (req, res) => {
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    return withRequestScope({ requestId }, () =>
      inSpan(
        `${req.method ?? 'GET'} /graphql`,
        { kind: SpanKind.SERVER, parent: contextFrom(req.headers), attributes: { 'http.request.method': req.method } },
        (span) => handle(req, res, span),
      ),
    );
  };

  async function handle(req: IncomingMessage, res: ServerResponse, span: Span): Promise<void> {
    const startedAt = performance.now();
    const log = requestLog?.enabled ? requestLog : undefined;
    const finish = (request: HTTPGraphQLRequest | undefined, status: number, body?: string) => {
      const line = log?.finish(req.method, request, status, startedAt, body);
      span.setAttribute('http.response.status_code', status);
      if (line) describeSpan(span, line);
    };
    let request: HTTPGraphQLRequest | undefined;
    try {
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      const bytes = req.method === 'POST' ? await readBody(req, MAX_BODY_BYTES) : Buffer.from(url.search, 'utf8');
      let auth: TAuth | undefined;
      if (authenticate) {
        try {
          auth = authenticate(req, bytes);
        } catch (err) {
          if (!(err instanceof GraphQLError)) throw err;
          const text = sendJson(res, refusalStatus(err), { errors: [refusalBody(err)] });
          finish(undefined, res.statusCode, text);
          return;
        }
      }
      let body: unknown = undefined;
      if (req.method === 'POST') {
        const raw = bytes.toString('utf8');
        const type = headers.get('content-type') ?? '';
        if (type.startsWith('application/json') || type.startsWith('application/graphql-response+json')) {
          try {
            body = raw.length ? JSON.parse(raw) : undefined;
          } catch {
            const text = sendJson(res, 400, {
              errors: [{ message: 'The request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } }],
            });
            finish(undefined, 400, text);
            return;
          }
        } else {
          body = raw;
        }
      }
      // Without an authenticator there is nothing to hand over: TAuth is `undefined` then. Created once at most.
      let created: Promise<TContext> | undefined;
      const contextThunk: ContextThunk<TContext> = () => (created ??= context(req, auth as TAuth));
      request = { method: req.method ?? 'GET', headers, search: url.search, body };
      const refused = screen?.(request);
      if (refused) {
        const { http, ...extensions } = refused.extensions as { http?: { status?: number } };
        const status = http?.status ?? 400;
        const text = sendJson(res, status, { errors: [{ message: refused.message, extensions }] });
        finish(undefined, status, text);
        return;
      }
      const result =
        (await direct?.(request, contextThunk)) ??
        (await server.executeHTTPGraphQLRequest({ httpGraphQLRequest: request, context: contextThunk }));
      res.statusCode = result.status ?? 200;
      for (const [key, value] of result.headers) res.setHeader(key, value);
      if (result.body.kind === 'complete') {
        res.end(result.body.string);
        finish(request, res.statusCode, result.body.string);
      } else {
        for await (const chunk of result.body.asyncIterator) res.write(chunk);
        res.end();
        finish(request, res.statusCode);
      }
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        const text = sendJson(res, 413, {
          errors: [{ message: `Request body exceeds ${MAX_BODY_BYTES} bytes.`, extensions: { code: 'BAD_REQUEST' } }],
        });
        finish(undefined, 413, text);
        return;
      }
      if (!res.headersSent) {
        const text = sendJson(res, 500, {
          errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
        });
        finish(request, 500, text);
      } else {
        res.destroy();
        finish(request, res.statusCode);
      }
    }
  }
}

/** Names a request's span after its operation (`mutation SendMessage`), as OpenTelemetry's GraphQL conventions do. */
function describeSpan(span: Span, line: RequestLine): void {
  if (line.operationType) {
    span.updateName(line.operationName ? `${line.operationType} ${line.operationName}` : line.operationType);
    span.setAttribute('graphql.operation.type', line.operationType);
  }
  if (line.operationName) span.setAttribute('graphql.operation.name', line.operationName);
  if (line.outcome !== 'ok') span.setAttribute('graphql.error.code', line.outcome);
}

/** The HTTP status a refusal asked for (`extensions.http.status`), else 400. */
function refusalStatus(err: GraphQLError): number {
  const http = err.extensions.http as { status?: unknown } | undefined;
  return typeof http?.status === 'number' ? http.status : 400;
}

/** A refusal as a client sees it: message and extensions, without the HTTP hint. */
function refusalBody(err: GraphQLError): { message: string; extensions: Record<string, unknown> } {
  const { http: _http, ...extensions } = err.extensions;
  return { message: err.message, extensions };
}
