import { createLogger } from '@chatgraph/logging';
import { ProcessMetrics } from '@chatgraph/metrics';
import { createAdminServer, type AdminServer } from '../src';

describe('admin server', () => {
  let admin: AdminServer;
  let base: string;
  let live = true;
  let ready = true;

  const metrics = new ProcessMetrics('probe');
  const jobs = metrics.counter('probe_jobs_total', 'Jobs done.', ['outcome']);

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
        stats: () => ({ requests: 7 }),
      },
      metrics,
    });
    base = await admin.listen(0);
  });
  afterAll(() => admin.close());

  it('listens on loopback by default and serves health, readiness and stats as JSON', async () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok', service: 'probe' });
    expect(await (await fetch(`${base}/ready`)).json()).toEqual({ status: 'ready', service: 'probe' });
    const stats = (await (await fetch(`${base}/stats`)).json()) as Record<string, unknown>;
    expect(stats).toMatchObject({ service: 'probe', requests: 7, process: { uptimeSeconds: expect.any(Number) } });
  });

  it('serves the Prometheus text format on /metrics: its own series and Node defaults, labelled by service', async () => {
    jobs.inc({ outcome: 'ok' }, 3);
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('# TYPE probe_jobs_total counter');
    expect(text).toContain('probe_jobs_total{outcome="ok",service="probe"} 3');
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds\{service="probe"\} /m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes\{service="probe"\} /m);
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
