import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@chatgraph/logging';
import type { ProcessMetrics } from '@chatgraph/metrics';
import { sendJson } from './nodeHttpHandler';

/** What a process tells its admin server. */
export interface AdminProbes {
  /** Liveness: false once the process drains (then `/health` answers 503). */
  live(): boolean;
  /** Readiness: resolves true when the process can serve (its backing stores answer). */
  ready(): Promise<boolean>;
  /** The process's counters and state, served as JSON by `/stats` (tests, benchmarks, a curious operator). */
  stats(): unknown;
}

/** Options of {@link createAdminServer}. */
export interface AdminServerOptions {
  /** The service's name, in every answer. */
  name: string;
  logger: Logger;
  probes: AdminProbes;
  /** The process's metrics, served by `/metrics` in the Prometheus text format. */
  metrics: ProcessMetrics;
}

/** A process's admin HTTP server, not yet listening. */
export interface AdminServer {
  httpServer: Server;
  /** Listens (loopback by default); resolves with the base URL, e.g. `http://127.0.0.1:9000`. */
  listen(port: number, host?: string): Promise<string>;
  /** The port it listens on, once listening. */
  readonly port: number | undefined;
  /** Stops it (open connections are closed: nothing here is long-running). Safe to call twice or unstarted. */
  close(): Promise<void>;
}

const started = Date.now();

/** What every process reports about itself, whatever else its `/stats` says. */
function processStats(): Record<string, number> {
  const memory = process.memoryUsage();
  return {
    uptimeSeconds: Math.round((Date.now() - started) / 1000),
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
  };
}

/**
 * The admin server every chatgraph process runs on `ADMIN_PORT` (`ADMIN_HOST`, loopback by default), apart from its
 * public port: `/health` (liveness), `/ready` (readiness), `/metrics` (Prometheus text format, what Prometheus scrapes)
 * and `/stats` (the same process's counters and state as JSON). Operators and monitoring reach it; the load balancer
 * never forwards to it, so counters and internals are not on the public surface. GET only; anything else is 404 or
 * 405.
 */
export function createAdminServer(options: AdminServerOptions): AdminServer {
  const { name, logger, probes, metrics } = options;
  const httpServer = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/health' && path !== '/ready' && path !== '/metrics' && path !== '/stats') {
      sendJson(res, 404, { error: `No route ${path}`, service: name });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      sendJson(res, 405, { error: 'Method not allowed', service: name });
      return;
    }
    if (path === '/health') {
      const live = probes.live();
      sendJson(res, live ? 200 : 503, { status: live ? 'ok' : 'draining', service: name });
      return;
    }
    if (path === '/ready') {
      probes.ready().then(
        (ready) => sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable', service: name }),
        (err: unknown) => {
          logger.warn({ err }, 'readiness check failed');
          sendJson(res, 503, { status: 'unavailable', service: name });
        },
      );
      return;
    }
    if (path === '/metrics') {
      metrics.text().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text) });
          res.end(req.method === 'HEAD' ? undefined : text);
        },
        (err: unknown) => {
          logger.error({ err }, 'metrics failed');
          sendJson(res, 500, { error: 'metrics failed', service: name });
        },
      );
      return;
    }
    try {
      sendJson(res, 200, { service: name, process: processStats(), ...(probes.stats() as object) });
    } catch (err) {
      logger.error({ err }, 'stats failed');
      sendJson(res, 500, { error: 'stats failed', service: name });
    }
  });
  let listening = false;
  let closed: Promise<void> | undefined;
  return {
    httpServer,
    get port() {
      return listening ? (httpServer.address() as AddressInfo).port : undefined;
    },
    async listen(port, host = '127.0.0.1') {
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          httpServer.off('error', reject);
          resolve();
        });
      });
      listening = true;
      const actual = (httpServer.address() as AddressInfo).port;
      logger.info({ adminPort: actual, host }, `${name} admin listening`);
      return `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
    },
    close() {
      closed ??= listening
        ? new Promise<void>((resolve) => {
            httpServer.close(() => resolve());
            httpServer.closeAllConnections();
          })
        : Promise.resolve();
      return closed;
    },
  };
}
