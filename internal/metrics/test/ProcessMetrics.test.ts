import { ProcessMetrics, RequestMetrics } from '../src';

describe('ProcessMetrics', () => {
  it('reads gauges and counters from a component at scrape time, dropping series it no longer reports', async () => {
    const metrics = new ProcessMetrics('probe', { defaults: false });
    let pools = [
      { name: 'a', used: 2 },
      { name: 'b', used: 5 },
    ];
    const totals = { ok: 3, failed: 1 };
    metrics.gaugeFrom('pool_used', 'Used.', ['pool_name'], () => pools.map((p) => [{ pool_name: p.name }, p.used]));
    metrics.counterFrom('jobs_total', 'Jobs.', ['outcome'], () =>
      Object.entries(totals).map(([o, n]) => [{ outcome: o }, n]),
    );
    let text = await metrics.text();
    expect(text).toContain('pool_used{pool_name="a",service="probe"} 2');
    expect(text).toContain('pool_used{pool_name="b",service="probe"} 5');
    expect(text).toContain('# TYPE jobs_total counter');
    expect(text).toContain('jobs_total{outcome="ok",service="probe"} 3');
    pools = [{ name: 'b', used: 1 }];
    totals.ok = 10;
    text = await metrics.text();
    expect(text).not.toContain('pool_name="a"');
    expect(text).toContain('pool_used{pool_name="b",service="probe"} 1');
    expect(text).toContain('jobs_total{outcome="ok",service="probe"} 10');
  });

  it('keeps two processes built in one test apart (one registry each)', async () => {
    const a = new ProcessMetrics('a', { defaults: false });
    const b = new ProcessMetrics('b', { defaults: false });
    a.counter('same_total', 'Same name.').inc();
    b.counter('same_total', 'Same name.').inc(2);
    expect(await a.text()).toContain('same_total{service="a"} 1');
    expect(await b.text()).toContain('same_total{service="b"} 2');
  });
});

describe('RequestMetrics', () => {
  it('labels only allow-listed operation names, counts errors by code, bounds methods', async () => {
    const metrics = new ProcessMetrics('gateway', { defaults: false });
    const requests = new RequestMetrics(metrics, ['SendMessage']);
    const base = { status: 200, operationType: 'mutation', outcome: 'ok', durationSeconds: 0.02 };
    requests.observe({ ...base, method: 'POST', operationName: 'SendMessage' });
    for (let i = 0; i < 3; i++) requests.observe({ ...base, method: 'POST', operationName: `Invented${i}` });
    requests.observe({
      ...base,
      method: 'PROPFIND',
      operationName: null,
      operationType: null,
      status: 400,
      outcome: 'BAD_REQUEST',
    });
    const text = await metrics.text();
    /** The `_count` of the series whose labels include `labels`. */
    const count = (labels: Record<string, string>) => {
      const series = [...text.matchAll(/^http_server_request_duration_seconds_count\{([^}]*)\} (\d+)$/gm)].map(
        ([, body, value]) => ({
          labels: Object.fromEntries([...body!.matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k!, v!])),
          value: Number(value),
        }),
      );
      return series.filter((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v)).map((x) => x.value);
    };
    const post = { http_request_method: 'POST', http_response_status_code: '200', graphql_operation_type: 'mutation' };
    expect(count({ ...post, graphql_operation_name: 'SendMessage', service: 'gateway' })).toEqual([1]);
    expect(count({ ...post, graphql_operation_name: 'other' })).toEqual([3]);
    expect(text).not.toContain('Invented');
    expect(text).toContain('http_request_method="_OTHER"');
    expect(text).toMatch(
      /^graphql_errors_total\{(?=[^}]*code="BAD_REQUEST")(?=[^}]*graphql_operation_type="")[^}]*\} 1$/m,
    );
    expect(text).not.toMatch(/graphql_errors_total\{code="ok"/);
    // 0.02 s lands in the 0.025 bucket and above, not in 0.01.
    const bucket = (le: string) =>
      text.match(
        new RegExp(
          `^http_server_request_duration_seconds_bucket\\{(?=[^}]*le="${le}")(?=[^}]*"SendMessage")[^}]*\\} (\\d+)$`,
          'm',
        ),
      )?.[1];
    expect(bucket('0.01')).toBe('0');
    expect(bucket('0.025')).toBe('1');
  });
});
