import { createLogger } from '@chatgraph/logging';
import { createAdminServer, type AdminServer } from '../src';

describe('admin server', () => {
  let admin: AdminServer;
  let base: string;
  let live = true;
  let ready = true;

  beforeAll(async () => {
    admin = createAdminServer({
      name: 'probe',
      logger: createLogger('admin-test', 'silent'),
      probes: {
        live: () => live,
        ready: async () => {
          if (!ready) throw new Error('store down');
          return true;
        },
        metrics: () => ({ requests: 7 }),
      },
    });
    base = await admin.listen(0);
  });
  afterAll(() => admin.close());

  it('listens on loopback by default and serves health, readiness and metrics as JSON', async () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok', service: 'probe' });
    expect(await (await fetch(`${base}/ready`)).json()).toEqual({ status: 'ready', service: 'probe' });
    const metrics = (await (await fetch(`${base}/metrics`)).json()) as Record<string, unknown>;
    expect(metrics).toMatchObject({ service: 'probe', requests: 7, process: { uptimeSeconds: expect.any(Number) } });
  });

  it('answers 503 while draining or when a backing store is down', async () => {
    live = false;
    ready = false;
    try {
      expect((await fetch(`${base}/health`)).status).toBe(503);
      expect((await fetch(`${base}/ready`)).status).toBe(503);
    } finally {
      live = true;
      ready = true;
    }
  });

  it('serves nothing else: unknown paths 404, other methods 405', async () => {
    expect((await fetch(`${base}/graphql`)).status).toBe(404);
    const post = await fetch(`${base}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});
