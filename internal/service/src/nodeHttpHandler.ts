import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  HeaderMap,
  type ApolloServer,
  type BaseContext,
  type ContextThunk,
  type HTTPGraphQLRequest,
} from '@apollo/server';
import type { GraphQLError } from 'graphql';
import type { RequestLog } from './RequestLog';

/**
 * Looks at a request before Apollo Server does (its parsed body, or the query string of a GET) and returns the error
 * to answer instead, or undefined to go on. The error's `extensions.http.status` is the response status (400 unset).
 */
export type RequestScreen = (request: HTTPGraphQLRequest) => GraphQLError | undefined;

/** Largest request body accepted, in bytes. @default 1 MiB */
export const MAX_BODY_BYTES = 1024 * 1024;

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
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
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): string {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
  return text;
}

/**
 * Serves an Apollo Server on a plain Node `http` server: parses the body (JSON, bounded), maps headers, runs
 * `executeHTTPGraphQLRequest` and writes the response (including incremental chunks). A malformed body is a 400 with
 * a GraphQL-shaped error, never a crash. With a {@link RequestLog} (its plugin installed on `server`), every request
 * is logged once it is answered. A {@link RequestScreen} may refuse a request before Apollo sees it.
 */
export function nodeHttpHandler<TContext extends BaseContext>(
  server: ApolloServer<TContext>,
  context: (req: IncomingMessage) => Promise<TContext>,
  requestLog?: RequestLog,
  screen?: RequestScreen,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const startedAt = performance.now();
    const log = requestLog?.enabled ? requestLog : undefined;
    let request: HTTPGraphQLRequest | undefined;
    try {
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      let body: unknown = undefined;
      if (req.method === 'POST') {
        const raw = await readBody(req, MAX_BODY_BYTES);
        const type = headers.get('content-type') ?? '';
        if (type.startsWith('application/json') || type.startsWith('application/graphql-response+json')) {
          try {
            body = raw.length ? JSON.parse(raw) : undefined;
          } catch {
            const text = sendJson(res, 400, {
              errors: [{ message: 'The request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } }],
            });
            log?.finish(undefined, 400, startedAt, text);
            return;
          }
        } else {
          body = raw;
        }
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      const contextThunk: ContextThunk<TContext> = () => context(req);
      request = { method: req.method ?? 'GET', headers, search: url.search, body };
      const refused = screen?.(request);
      if (refused) {
        const { http, ...extensions } = refused.extensions as { http?: { status?: number } };
        const status = http?.status ?? 400;
        const text = sendJson(res, status, { errors: [{ message: refused.message, extensions }] });
        log?.finish(undefined, status, startedAt, text);
        return;
      }
      const result = await server.executeHTTPGraphQLRequest({ httpGraphQLRequest: request, context: contextThunk });
      res.statusCode = result.status ?? 200;
      for (const [key, value] of result.headers) res.setHeader(key, value);
      if (result.body.kind === 'complete') {
        res.end(result.body.string);
        log?.finish(request, res.statusCode, startedAt, result.body.string);
      } else {
        for await (const chunk of result.body.asyncIterator) res.write(chunk);
        res.end();
        log?.finish(request, res.statusCode, startedAt);
      }
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        const text = sendJson(res, 413, {
          errors: [{ message: `Request body exceeds ${MAX_BODY_BYTES} bytes.`, extensions: { code: 'BAD_REQUEST' } }],
        });
        log?.finish(undefined, 413, startedAt, text);
        return;
      }
      if (!res.headersSent) {
        const text = sendJson(res, 500, {
          errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
        });
        log?.finish(request, 500, startedAt, text);
      } else {
        res.destroy();
        log?.finish(request, res.statusCode, startedAt);
      }
    }
  };
}

export { sendJson };
