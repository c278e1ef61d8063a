/**
 * Observability of a running stack: every process (gateway, the four subgraphs, the notifier with its relays) runs
 * with tracing exported to a collector of the test's own, and a real Prometheus scrapes every admin server. After
 * known traffic, PromQL sees exactly the requests that were sent and the commit → delivery lag of the live events;
 * and one message's trace, started by the client's `traceparent`, runs from the send through the chats service's
 * commit and publish to the gateway's live delivery, and on through the event log and RabbitMQ to the notifier.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { liveClient, subscribe, waitUntil, type TestUser } from '@chatgraph/testing';
import { NotificationStack } from '../notifications/support/NotificationStack';
import { OtlpReceiver, type ReceivedSpan } from './support/OtlpReceiver';
import { prometheusInstalled, PrometheusServer } from './support/PrometheusServer';

if (!prometheusInstalled)
  console.warn('prometheus is not installed: the Prometheus scrape test is SKIPPED (apt-get install -y prometheus)');
const itWithPrometheus = prometheusInstalled ? it : it.skip;

const SEND =
  'mutation SendMessage($c: ID!, $t: String!, $m: String!) { sendMessage(chatId: $c, text: $t, clientMessageId: $m) { id } }';
const EVENTS = 'subscription ChatEvents($c: ID!) { chatEvents(chatId: $c) { seq message { text } } }';
const SENT = 7;

describe('observability of a running stack', () => {
  let collector: OtlpReceiver;
  let stack: NotificationStack;
  let prometheus: PrometheusServer | undefined;
  let owner: TestUser;
  let member: TestUser;
  let chatId: string;
  const traceId = randomBytes(16).toString('hex');
  const clientSpanId = randomBytes(8).toString('hex');

  beforeAll(async () => {
    collector = await OtlpReceiver.start();
    stack = await NotificationStack.start({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_TRACES_SAMPLER_RATIO: '1',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    });
    if (prometheusInstalled) {
      const targets = [...stack.stack.processes.values()].map((p) => ({ job: p.name, port: p.adminPort }));
      prometheus = await PrometheusServer.start(targets);
    }
    owner = await stack.signUp('Owner');
    member = await stack.signUp('Member');
    chatId = await stack.createGroup(owner, [member]);
  }, 180_000);

  afterAll(async () => {
    await prometheus?.close();
    await stack?.close();
    await collector?.close();
  });

  /** Sends `SENT` messages as the owner while the member watches the chat live; resolves once all arrived. */
  /** SendMessage requests the gateway counted, read from its /metrics (all series summed). */
  async function sentSoFar(): Promise<number> {
    const text = await (await fetch(stack.stack.adminUrl('gateway', '/metrics'))).text();
    let total = 0;
    for (const [, value] of text.matchAll(
      /^http_server_request_duration_seconds_count\{[^}]*graphql_operation_name="SendMessage"[^}]*\} (\d+)$/gm,
    ))
      total += Number(value);
    return total;
  }

  let rounds = 0;
  async function sendWhileWatched(firstTraceparent?: string): Promise<void> {
    const round = rounds++;
    // The subscription of an earlier call is gone before this one counts as live.
    await waitUntil('no subscription is live', async () => (await stack.liveSubscriptions()) === 0);
    const client = liveClient(stack.gateway.replace(/^http/, 'ws'), member.token);
    try {
      const live = subscribe<{ chatEvents: { seq: number; message: { text: string } | null } }>(client, EVENTS, {
        c: chatId,
      });
      await waitUntil('the subscription is live', async () => (await stack.liveSubscriptions()) === 1);
      for (let i = 0; i < SENT; i++) {
        const headers: Record<string, string> = { authorization: `Bearer ${owner.token}` };
        if (i === 0 && firstTraceparent) headers.traceparent = firstTraceparent;
        const res = await fetch(stack.gateway, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ query: SEND, variables: { c: chatId, t: `hello ${i}`, m: `obs-${round}-${i}` } }),
        });
        expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
        expect(((await res.json()) as { errors?: unknown }).errors).toBeUndefined();
      }
      await live.waitFor((r) => r.filter((x) => x.data?.chatEvents.message).length === SENT);
    } finally {
      await client.dispose();
    }
  }

  it('one trace covers a message from the send to its live delivery and its notifications, across three processes', async () => {
    await sendWhileWatched(`00-${traceId}-${clientSpanId}-01`);
    const names = () => collector.trace(traceId).map((s) => `${s.service}: ${s.name}`);
    await waitUntil('the delivery span is exported', () => names().includes('gateway: deliver chatEvents'));
    const spans = collector.trace(traceId);
    const one = (service: string, name: string) => {
      const found = spans.filter((s) => s.service === service && s.name === name);
      expect({ service, name, count: found.length, all: names() }).toMatchObject({ count: 1 });
      return found[0]!;
    };
    const request = one('gateway', 'mutation SendMessage');
    const fetchChats = one('gateway', 'fetch chats');
    const chatsRequest = spans.find((s) => s.service === 'chats' && s.kind === 2)!;
    const publish = one('chats', 'publish chat events');
    const deliver = one('gateway', 'deliver chatEvents');
    /** The names of a span's ancestors, nearest first (the `gateway.execute` span sits between the request and each fetch). */
    const ancestry = (span: ReceivedSpan): string[] => {
      const names: string[] = [];
      for (let s = span; s.parentSpanId;) {
        const parent = spans.find((p) => p.spanId === s.parentSpanId);
        if (!parent) break;
        names.push(`${parent.service}: ${parent.name}`);
        s = parent;
      }
      return names;
    };
    // Each step descends from the one before: client → gateway → chats → Redis → the gateway's live delivery.
    expect(request.parentSpanId).toBe(clientSpanId);
    expect(ancestry(fetchChats).slice(0, 2)).toEqual(['gateway: gateway.execute', 'gateway: mutation SendMessage']);
    expect(chatsRequest.parentSpanId).toBe(fetchChats.spanId);
    expect(publish.parentSpanId).toBe(chatsRequest.spanId);
    expect(deliver.parentSpanId).toBe(publish.spanId);
    expect(ancestry(deliver)).toEqual([
      'chats: publish chat events',
      `chats: ${chatsRequest.name}`,
      'gateway: fetch chats',
      ...ancestry(fetchChats),
    ]);
    // The chats service's database work is in the trace too (pg, under its request), and the publish to Redis.
    const chatsChildren = (parent: ReceivedSpan) =>
      spans.filter((s) => s.service === 'chats' && s.parentSpanId === parent.spanId);
    expect(
      spans.filter((s) => s.service === 'chats' && s.attributes['db.system.name'] === 'postgresql').length,
    ).toBeGreaterThan(0);
    expect(chatsChildren(publish).some((s) => s.attributes['db.system.name'] === 'redis')).toBe(true);
    // The live execution's own fetches (if any) hang under the delivery, in the same trace.
    expect(spans.filter((s) => s.parentSpanId === deliver.spanId).map((s) => s.name)).toContain('gateway.execute');
    expect(deliver.attributes).toMatchObject({ 'live.field': 'chatEvents', 'live.subscribers': 1 });
    expect(request.attributes).toMatchObject({
      'graphql.operation.type': 'mutation',
      'http.response.status_code': 200,
    });
    // The event log kept the trace context: the relay's message carries it, and the notifier's inbox work joins the
    // trace, under the chats service's request that wrote the event.
    await waitUntil('the notifier span is exported', () =>
      collector.trace(traceId).some((s) => s.service === 'notifier' && /^process .*\.notify\.inbox$/.test(s.name)),
    );
    const inbox = collector.trace(traceId).find((s) => s.service === 'notifier' && s.name.endsWith('.notify.inbox'))!;
    expect(inbox.parentSpanId).toBe(chatsRequest.spanId);
    // The other sends started traces of their own: nothing else joined this one.
    expect(spans.filter((s) => s.name === 'mutation SendMessage')).toHaveLength(1);
  });

  itWithPrometheus(
    'Prometheus scrapes every process; request counts match what was sent, lag samples exist',
    async () => {
      const p = prometheus!;
      const jobs = [...stack.stack.processes.keys()].sort();
      expect(jobs).toEqual(
        expect.arrayContaining(['gateway', 'users', 'chats', 'presence', 'notifications', 'notifier-1']),
      );
      await waitUntil(
        'every target is up',
        async () =>
          (await p.query('up == 1'))
            .map((s) => s.metric.job!)
            .sort()
            .join() === jobs.join(),
        20_000,
      ).catch(async (err: Error) => {
        const up = (await p.query('up')).map((s) => `${s.metric.job}=${s.value}`);
        throw new Error(`${err.message}: ${up.join(', ')} (expected ${jobs.join(', ')})`);
      });
      const sends =
        'sum(http_server_request_duration_seconds_count{job="gateway",graphql_operation_name="SendMessage"})';
      // What the gateway counted so far (the trace test's sends), read from its own /metrics: Prometheus may not
      // have scraped all of them yet.
      const before = await sentSoFar();
      await sendWhileWatched();
      await waitUntil('Prometheus has scraped the sends', async () => (await p.value(sends)) === before + SENT);
      /** Waits until a query's value reaches `least` (each process is scraped on its own schedule). */
      const reaches = (promql: string, least: number) =>
        waitUntil(`${promql} >= ${least}`, async () => ((await p.value(promql)) ?? 0) >= least);
      // Each send is one fetch to chats, answered: the chats service counts at least as many mutations.
      await reaches(
        'sum(http_server_request_duration_seconds_count{job="chats",graphql_operation_type="mutation"})',
        2 * SENT,
      );
      await reaches('sum(http_client_request_duration_seconds_count{subgraph_name="chats",outcome="ok"})', 2 * SENT);
      // Every live delivery of a message has a lag sample.
      await reaches('sum(live_commit_to_delivery_seconds_count)', 2 * SENT);
      await reaches('sum(live_deliveries_total)', 2 * SENT);
      const p99 = await p.value('histogram_quantile(0.99, sum by (le) (live_commit_to_delivery_seconds_bucket))');
      expect(p99).toBeGreaterThan(0);
      // No errors were answered; the names of operations outside the SDK never become labels.
      expect(await p.query('graphql_errors_total{job="gateway"} > 0')).toEqual([]);
      expect(
        await p.query(
          'http_server_request_duration_seconds_count{graphql_operation_name!~"|other|SendMessage|SignUp|CreateGroupChat|ChatEvents"}',
        ),
      ).toEqual([]);
      // The pipeline: the notifier relays the events and its inbox consumer handles them; queue depths are read.
      await waitUntil(
        'the notifier handled every message',
        async () =>
          ((await p.value('sum(queue_messages_total{job="notifier-1",outcome="handled",queue=~".*inbox"})')) ?? 0) >=
          2 * SENT,
        30_000,
      );
      expect(await p.query('rabbitmq_queue_messages{job="notifier-1"}')).not.toEqual([]);
      // The data tier and Node's defaults, on every process.
      expect((await p.query('db_client_connection_max{job="chats"}')).length).toBe(2);
      expect(await p.query('db_shard_breaker_state > 0')).toEqual([]);
      expect((await p.query('nodejs_eventloop_lag_seconds')).map((s) => s.metric.job).sort()).toEqual(jobs);
    },
  );

  it('every metric the dashboards and alert rules query is one the processes export', async () => {
    const exported = new Set<string>();
    for (const p of stack.stack.processes.values()) {
      const text = await (await fetch(`http://127.0.0.1:${p.adminPort}/metrics`)).text();
      for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
        exported.add(name!);
        if (type === 'histogram') for (const suffix of ['_bucket', '_count', '_sum']) exported.add(name! + suffix);
      }
    }
    exported.add('up');
    const deploy = path.resolve(__dirname, '../../deploy');
    const dashboards = fs.readdirSync(path.join(deploy, 'grafana/dashboards')).flatMap((file) => {
      const dashboard = JSON.parse(fs.readFileSync(path.join(deploy, 'grafana/dashboards', file), 'utf8')) as {
        panels: Array<{ targets: Array<{ expr: string }> }>;
      };
      return dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    });
    const rules = [
      ...fs
        .readFileSync(path.join(deploy, 'prometheus/alerts.yml'), 'utf8')
        .matchAll(/expr: \|?\n?([^]*?)\n\s+(?:for|labels):/g),
    ].map((m) => m[1]!);
    expect(dashboards.length).toBeGreaterThan(20);
    expect(rules.length).toBeGreaterThan(10);
    const queried = new Set<string>();
    for (const expr of [...dashboards, ...rules]) {
      // Label matchers, grouping clauses and strings hold label names and values, not metrics.
      const bare = expr
        .replace(/\{[^}]*\}/g, '')
        .replace(/\b(?:by|on|without)\s*\([^)]*\)/g, '')
        .replace(/"[^"]*"/g, '');
      for (const [name] of bare.matchAll(/\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/g)) {
        if (!['histogram_quantile', 'clamp_min'].includes(name)) queried.add(name);
      }
    }
    expect(queried.size).toBeGreaterThan(25);
    expect([...queried].filter((name) => !exported.has(name)).sort()).toEqual([]);
  });
});
