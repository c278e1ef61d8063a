/**
 * Keeps the benchmark harness from rotting: builds bench/ and runs `--smoke` (the quick suite with tiny loads, our
 * side only, no peer install), then checks the result file is complete and well-formed. No timing assertions: the
 * numbers are whatever this machine gives; what is asserted is that every scenario ran and measured something.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

describe('bench --smoke', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-bench-'));
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it('runs every scenario and writes a well-formed result and chart', () => {
    const build = spawnSync(
      process.execPath,
      [path.join(root, 'node_modules/typescript/bin/tsc'), '--build', 'bench'],
      { cwd: root, encoding: 'utf8' },
    );
    expect(build.stdout + build.stderr).toBe('');
    expect(build.status).toBe(0);

    const run = spawnSync(process.execPath, ['bench/dist/cli.js', '--smoke', '--no-docs', `--out=${out}`], {
      cwd: root,
      encoding: 'utf8',
      timeout: 140_000,
    });
    if (run.status !== 0) throw new Error(`bench --smoke failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
    const files = fs.readdirSync(out);
    const json = files.find((f) => f.endsWith('.json'));
    const svg = files.find((f) => f.endsWith('.svg') && !f.endsWith('-growth.svg'));
    expect(json).toBeDefined();
    expect(svg).toBeDefined();
    expect(run.stdout).toContain(`results: ${path.join(out, json!)}`);

    const result = JSON.parse(fs.readFileSync(path.join(out, json!), 'utf8'));
    expect(result).toMatchObject({ schema: 'chatgraph-bench/1', mode: 'smoke' });
    // a scenario that threw is recorded here with its message (toMatchObject would accept any errors object)
    expect(result.errors).toEqual({});
    expect(Object.keys(result.scenarios).sort()).toEqual([
      'dataLayer',
      'fanout',
      'federatedQuery',
      'growth',
      'liveLatency',
      'pipeline',
    ]);
    expect(finite(result.durationSeconds)).toBe(true);
    expect(result.machine.cpus).toBeGreaterThan(0);

    const query = result.scenarios.federatedQuery;
    expect(query.gateways.map((g: { kind: string }) => g.kind)).toEqual(['chatgraph']);
    expect(query.gateways[0].requestsPerSecond).toBeGreaterThan(0);
    expect(query.gateways[0].errors).toBe(0);
    expect([query.gateways[0].p50, query.gateways[0].p99, query.gateways[0].gatewayCpuMsPerRequest].every(finite)).toBe(
      true,
    );
    // The history page is planned as one fetch per subgraph.
    expect(query.queryPlanFetches).toEqual({ chats: 1, users: 1, presence: 1 });

    const live = result.scenarios.liveLatency;
    expect(live.rates.length).toBeGreaterThan(0);
    for (const rate of live.rates) {
      expect(rate.delivered).toBeGreaterThan(0);
      expect(rate.errorFrames).toBe(0);
      expect([rate.p50, rate.p99, rate.max].every(finite)).toBe(true);
    }

    const fanout = result.scenarios.fanout;
    expect(fanout.steps.length).toBeGreaterThan(0);
    for (const step of fanout.steps) {
      expect(step.run.received).toBeGreaterThan(0);
      expect([step.deliveriesPerSecond, step.p99, step.heapBytesPerSubscription].every(finite)).toBe(true);
    }
    expect(finite(fanout.onePerConnection.heapBytesPerSubscription)).toBe(true);

    const data = result.scenarios.dataLayer;
    expect(data.send.map((s: { impl: string }) => s.impl).sort()).toEqual(['raw-pg', 'raw-pg', 'storage', 'storage']);
    for (const s of data.send) expect(s.opsPerSecond).toBeGreaterThan(0);
    const byOp = Object.fromEntries(
      data.shards.map((s: { operation: string; shardsTouched: number }) => [
        s.operation.split(' ')[0],
        s.shardsTouched,
      ]),
    );
    // Hot paths touch exactly one shard.
    expect(byOp.send).toBe(1);
    expect(byOp.membership).toBe(1);

    const growth = result.scenarios.growth;
    for (const op of ['unreadCount', 'myChats', 'historyPage', 'send']) {
      expect(growth.operations[op].length).toBeGreaterThan(1);
      for (const point of growth.operations[op]) expect(finite(point.latency.p50)).toBe(true);
      expect(finite(growth.ratios[op])).toBe(true);
    }
    expect(fs.readFileSync(path.join(out, svg!.replace(/\.svg$/, '-growth.svg')), 'utf8')).toMatch(/<polyline/);

    // Every committed message became one notification, received live, and one webhook delivery (a send reported as
    // failed may still have committed: its effects are counted too, never more).
    const pipeline = result.scenarios.pipeline;
    expect(pipeline.live.sent).toBeGreaterThan(0);
    for (const n of [pipeline.live.notifications, pipeline.live.webhooks]) {
      expect(n).toBeGreaterThanOrEqual(pipeline.live.sent);
      expect(n).toBeLessThanOrEqual(pipeline.live.sent + pipeline.live.failedSends);
    }
    expect([pipeline.live.notificationLatency.p99, pipeline.live.webhookLatency.p99].every(finite)).toBe(true);
    expect(pipeline.drain.notificationsPerSecond).toBeGreaterThan(0);
    expect(pipeline.drain.webhookDeliveriesPerSecond).toBeGreaterThan(0);

    expect(fs.readFileSync(path.join(out, svg!), 'utf8')).toMatch(/^<svg[\s\S]*<polyline[\s\S]*<\/svg>\n$/);
  }, 180_000);
});
