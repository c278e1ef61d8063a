import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from 'cors';

/** Options of {@link CorsPolicy}. */
export interface CorsPolicyOptions {
  /** Allowed browser origins (`scheme://host[:port]`), or `['*']` for any (never with credentials). */
  origins: readonly string[];
  /** Whether browsers may send cookies cross-origin (`Access-Control-Allow-Credentials: true`). */
  credentials: boolean;
}

/**
 * Request headers a browser may send cross-origin: the token, JSON bodies, and the headers Apollo Server's CSRF
 * prevention accepts as proof of a preflighted request (`apollo-require-preflight`, `x-apollo-operation-name`), so
 * GET queries work from browsers too.
 */
export const CORS_ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'accept',
  'apollo-require-preflight',
  'x-apollo-operation-name',
] as const;

/** How long a browser may reuse a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * Which browser origins may use the gateway (`CORS_ORIGINS`). `handle` answers preflights (OPTIONS) itself, before
 * Apollo Server (whose CSRF prevention stays on for everything else), through the `cors` middleware: an allowed
 * origin gets `Access-Control-Allow-Origin` (its own origin, never `*` with credentials), the allowed methods and
 * headers and `Vary: Origin`; a refused one gets no CORS headers, so the browser blocks the call, and a refused
 * preflight is a 403. `allowsUpgrade` applies the same list to WebSocket upgrades, which browsers do not preflight.
 * Requests without an `Origin` (servers, the SDK in Node, curl) and same-origin requests are not cross-origin and
 * pass.
 */
export class CorsPolicy {
  private readonly any: boolean;
  private readonly allowed: ReadonlySet<string>;
  private readonly middleware: ReturnType<typeof cors>;

  constructor(options: CorsPolicyOptions) {
    this.any = options.origins.includes('*');
    if (this.any && options.credentials) throw new Error('CORS: `*` cannot be combined with credentials');
    this.allowed = new Set(options.origins);
    this.middleware = cors({
      // Reflect the request's origin when it is allowed; false sends no CORS headers at all.
      origin: (origin, callback) => callback(null, origin !== undefined && this.allows(origin)),
      methods: ['GET', 'POST', 'OPTIONS'],
      allowedHeaders: [...CORS_ALLOWED_HEADERS],
      credentials: options.credentials,
      maxAge: PREFLIGHT_MAX_AGE_SECONDS,
      optionsSuccessStatus: 204,
    });
  }

  /** Whether `origin` is in the list (or the list is `*`). */
  allows(origin: string): boolean {
    return this.any || this.allowed.has(origin);
  }

  /**
   * Sets the CORS headers of a response and answers preflights. Resolves true when the response was written (a
   * preflight, allowed or refused): the caller then does nothing more.
   */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const origin = req.headers.origin;
    const preflight = req.method === 'OPTIONS';
    if (preflight && origin !== undefined && !this.allows(origin) && !sameOrigin(req, origin)) {
      res.writeHead(403, { vary: 'Origin', 'content-length': 0 }).end();
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      // cors ends a preflight itself; for any other request it sets the headers and calls next().
      this.middleware(req, res, () => resolve(false));
      if (preflight) resolve(true);
    });
  }

  /** Whether a WebSocket upgrade may proceed: no `Origin` (not a browser), same origin, or an allowed origin. */
  allowsUpgrade(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    return origin === undefined || this.allows(origin) || sameOrigin(req, origin);
  }
}

/** Whether `origin` names the host the request was sent to (a page served by the gateway's own origin). */
function sameOrigin(req: IncomingMessage, origin: string): boolean {
  const host = req.headers.host;
  if (!host) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
