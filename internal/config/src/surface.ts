import { z } from 'zod';
import { bool } from './schemaParts';
import { ADMIN_PORT_OFFSET } from '@chatgraph/manifest';

/**
 * The settings of what a process exposes and to whom: its admin port, the browser origins the gateway serves (CORS
 * and WebSocket upgrades), trusted documents, and how long presence remembers who may see whom. Kept apart from the
 * rest of the schema so that exposure is read and reviewed in one place.
 */

/** The origins of the local web client, allowed by default outside production. */
export const DEV_CORS_ORIGINS = ['http://127.0.0.1:3000', 'http://localhost:3000'] as const;

/** What the gateway does with operations that are not in the trusted-documents manifest. */
export type TrustedDocumentsMode = 'off' | 'allow' | 'require';

const optionalPort = z.coerce.number().int().min(0).max(65535).optional();

/** The environment variables of this module, merged into the config's schema. */
export const surfaceEnv = {
  /** Port of the admin server (/health, /ready, /metrics). Unset: the service's own port + 5000. */
  ADMIN_PORT: optionalPort,
  /** Address the admin server listens on: loopback unless an operator opens it on purpose. */
  ADMIN_HOST: z.string().min(1).default('127.0.0.1'),
  /** Comma-separated browser origins allowed to call the gateway (`*`: any, without credentials). */
  CORS_ORIGINS: z.string().optional(),
  /** Whether browsers may send credentials (cookies) cross-origin (`Access-Control-Allow-Credentials`). */
  CORS_CREDENTIALS: bool(false),
  TRUSTED_DOCUMENTS: z.enum(['off', 'allow', 'require']).default('off'),
  /** The manifest of trusted documents (`{ "<sha256>": "<document>" }`). Unset: the SDK's generated manifest. */
  TRUSTED_DOCUMENTS_PATH: z.string().min(1).optional(),
  /** How long presence remembers whether a viewer shares a chat with a user (0: ask every time). */
  PRESENCE_ACCESS_CACHE_MS: z.coerce.number().int().min(0).default(10_000),
};

type SurfaceEnv = z.infer<z.ZodObject<typeof surfaceEnv>>;

/** The resolved exposure settings, as they appear in the config. */
export interface Surface extends Omit<SurfaceEnv, 'CORS_ORIGINS'> {
  /** Allowed browser origins, normalized (`scheme://host[:port]`), or `['*']`. */
  CORS_ORIGINS: string[];
}

/** `scheme://host[:port]` of an origin as browsers send it, or undefined when `value` is not an http(s) origin. */
function normalizeOrigin(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    if (url.pathname !== '/' || url.search || url.hash || url.username) return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

/**
 * Resolves the exposure settings, adding a line to `problems` for each unusable value. Without `CORS_ORIGINS`, the
 * local web client's origins are allowed outside production and none in production (a same-origin deployment needs
 * none; anything else must be named).
 */
export function resolveSurface(env: SurfaceEnv & { NODE_ENV: string }, problems: string[]): Surface {
  let origins: string[];
  if (env.CORS_ORIGINS === undefined) {
    origins = env.NODE_ENV === 'production' ? [] : [...DEV_CORS_ORIGINS];
  } else {
    const entries = env.CORS_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean);
    origins = [];
    for (const entry of entries) {
      if (entry === '*') {
        origins.push('*');
        continue;
      }
      const origin = normalizeOrigin(entry);
      if (origin) origins.push(origin);
      else problems.push(`CORS_ORIGINS: ${JSON.stringify(entry)} is not an origin like https://chat.example.com`);
    }
    if (origins.includes('*') && origins.length > 1)
      problems.push('CORS_ORIGINS: `*` allows every origin; list origins or use `*` alone');
  }
  if (origins.includes('*') && env.CORS_CREDENTIALS)
    problems.push(
      'CORS_ORIGINS: `*` is refused with CORS_CREDENTIALS=true; list the origins that may send credentials',
    );
  return {
    ADMIN_PORT: env.ADMIN_PORT,
    ADMIN_HOST: env.ADMIN_HOST,
    CORS_ORIGINS: [...new Set(origins)],
    CORS_CREDENTIALS: env.CORS_CREDENTIALS,
    TRUSTED_DOCUMENTS: env.TRUSTED_DOCUMENTS,
    TRUSTED_DOCUMENTS_PATH: env.TRUSTED_DOCUMENTS_PATH,
    PRESENCE_ACCESS_CACHE_MS: env.PRESENCE_ACCESS_CACHE_MS,
  };
}

/**
 * The admin port of a process listening on `servicePort`: `ADMIN_PORT` when set, else the service port + 5000 (a
 * second gateway on 4010 gets 9010). A process on a random port (0) gets a random admin port.
 */
export function adminPortFor(config: { ADMIN_PORT?: number }, servicePort: number): number {
  if (config.ADMIN_PORT !== undefined) return config.ADMIN_PORT;
  return servicePort === 0 ? 0 : servicePort + ADMIN_PORT_OFFSET;
}
