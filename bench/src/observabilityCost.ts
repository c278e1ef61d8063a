#!/usr/bin/env node
// `npm run bench:observability`: what metrics and tracing cost in throughput. Two complete stacks (the four subgraphs
// and a gateway each) on the same machine and databases: one with tracing off, one exporting 1% of traces over OTLP to
// a collector of this process's own (which drops them); Prometheus metrics are on in both (they always are). The same
// authenticated federated query (the viewer, from the users subgraph) is sent at fixed concurrency to one stack at a
// time, alternating off / on for `ROUNDS` rounds, and the medians are compared. Each run is short (the whole load
// lasts under a minute): the ratio, not the absolute numbers, is the result.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import {
  createTestDatabases,
  gatewayRequest,
  LOAD_RATE_LIMITS,
  ProcessStack,
  signUp,
  testConfig,
} from '@chatgraph/testing';

const ROUNDS = 3;
const WARMUP_S = 2;
const RUN_S = 7;
const CONNECTIONS = 16;
const QUERY = 'query Me { me { id username displayName } }';

/** Requests per second of one closed-loop run. */
async function run(url: string, token: string, seconds: number): Promise<{ rps: number; p99: number; errors: number }> {
  const result = await autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: QUERY }),
  });
  return { rps: result.requests.average, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const received = { requests: 0, bytes: 0 };
  const collector = http.createServer((req, res) => {
    req.on('data', (c: Buffer) => (received.bytes += c.length));
    req.on('end', () => {
      received.requests++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;

  const config = testConfig({ USERS_SHARDS: '1', CHATS_SHARDS: '2' });
  const dbs = await createTestDatabases(config);
  const quiet = { ...LOAD_RATE_LIMITS, LOG_LEVEL: 'warn' };
  const off = new ProcessStack(ProcessStack.envFor(config, quiet));
  const on = new ProcessStack(
    ProcessStack.envFor(config, {
      ...quiet,
      OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl,
      OTEL_TRACES_SAMPLER_RATIO: '0.01',
    }),
  );
  try {
    for (const stack of [off, on]) {
      await stack.startSubgraphs();
      await stack.start('gateway', 'gateway');
    }
    const user = await signUp(off.url('gateway'), 'Bench');
    const check = await gatewayRequest(on.url('gateway'), user.token, QUERY);
    if (check.errors) throw new Error(JSON.stringify(check.errors));
    const arms = { off: [] as number[], on: [] as number[] };
    const p99 = { off: [] as number[], on: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [arm, stack] of [
        ['off', off],
        ['on', on],
      ] as const) {
        await run(stack.url('gateway'), user.token, WARMUP_S);
        const r = await run(stack.url('gateway'), user.token, RUN_S);
        if (r.errors) throw new Error(`${arm}: ${r.errors} failed requests`);
        arms[arm].push(r.rps);
        p99[arm].push(r.p99);
        process.stdout.write(`round ${round + 1} tracing ${arm}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99} ms\n`);
      }
    }
    const offRps = median(arms.off);
    const onRps = median(arms.on);
    process.stdout.write(
      `median: off ${offRps.toFixed(0)} req/s (p99 ${median(p99.off)} ms), tracing 1% ${onRps.toFixed(0)} req/s ` +
        `(p99 ${median(p99.on)} ms): ${(((onRps - offRps) / offRps) * 100).toFixed(1)}% throughput; ` +
        `${received.requests} OTLP exports received (${received.bytes} bytes)\n`,
    );
  } finally {
    await Promise.all([off.close(), on.close()]);
    await dbs.drop();
    collector.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
