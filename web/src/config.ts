/** Where the page finds the gateway: `/config.json` of the server that served it (web/server.mjs). */
export interface WebConfig {
  /** The gateway's (or the load balancer's) `/graphql` URL over HTTP. */
  gatewayUrl: string;
}

const DEFAULT_CONFIG: WebConfig = { gatewayUrl: 'http://127.0.0.1:4000/graphql' };

/** Reads `/config.json`; the local gateway's address when there is none (e.g. under `vite` in development). */
export async function loadConfig(): Promise<WebConfig> {
  try {
    const response = await fetch('/config.json', { cache: 'no-store' });
    if (!response.ok) return DEFAULT_CONFIG;
    const body = (await response.json()) as Partial<WebConfig>;
    return typeof body.gatewayUrl === 'string' ? { gatewayUrl: body.gatewayUrl } : DEFAULT_CONFIG;
  } catch {
    return DEFAULT_CONFIG;
  }
}
