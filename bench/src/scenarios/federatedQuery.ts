import { isDeepStrictEqual } from 'node:util';
import type { BenchStack, GatewayKind, RunningGateway } from '../BenchStack';
import { HttpLoad } from '../LoadWorker';
import { processSample } from '../processSample';
import type { HttpRunResult } from '../load/protocol';
import type { Seed } from '../seed';
import { median, ratio, round } from '../stats';
import { busyPercent, cpuTimes } from '../machineCpu';
import { queryPlanFetches } from '../queryPlanFetches';
import { subgraphCpu } from './liveCommon';

import { HISTORY_QUERY } from './federatedQueryDocument';

/** Options of scenario 1. */
export interface FederatedQueryOptions {
  gateways: GatewayKind[];
  concurrency: number;
  warmupMs: number;
  runMs: number;
  rounds: number;
  /** The fixed rate is this fraction of the slowest gateway's warm-up throughput. */
  rateFraction: number;
}

/** One gateway's medians. */
export interface GatewayQueryResult {
  kind: GatewayKind;
  runs: Array<{
    closed: HttpRunResult;
    open: HttpRunResult;
    gatewayCpuPercent: number;
    gatewayCpuMsPerRequest: number;
    subgraphsCpuMsPerRequest: number;
    /** How busy each CPU of the machine was during the fixed-concurrency run, by anyone. */
    machineCpuBusyPercent: number[];
  }>;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  fixedRateP50: number;
  fixedRateP99: number;
  fixedRateErrors: number;
  errors: number;
  /** CPU of the gateway process during the fixed-concurrency runs (100 = one core busy). */
  gatewayCpuPercent: number;
  /**
   * Gateway CPU time per request (ms): the gateway's own cost, much less sensitive than requests/s to whatever else
   * limits the run on a shared 2-core machine (subgraphs, Postgres, other processes). 1000 / this = requests/s one
   * core could serve.
   */
  gatewayCpuMsPerRequest: number;
  /** The three subgraph processes' CPU time per request (ms): the same for every gateway if they do the same work. */
  subgraphsCpuMsPerRequest: number;
  /** Latency distribution of the median-throughput run (fixed concurrency) and of the fixed-rate run after it. */
  distribution: number[];
  fixedRateDistribution: number[];
}

/** Result of scenario 1. */
export interface FederatedQueryResult {
  concurrency: number;
  fixedRate: number;
  runMs: number;
  rounds: number;
  gateways: GatewayQueryResult[];
  /** chatgraph / peer: throughput ratio (higher is better) and p99 ratios (lower is better). */
  ratios: Record<string, { throughput: number; p99: number; fixedRateP99: number; cpuPerRequest: number }>;
  /** Gateways that could not run (why). */
  skipped: Record<string, string>;
  /** Fetches per subgraph in the query plan (one per subgraph = batched entity fetches, no N+1). */
  queryPlanFetches: Record<string, number>;
}

function normalize(body: unknown): unknown {
  return JSON.parse(JSON.stringify(body));
}

async function query(gateway: RunningGateway, token: string, chatId: string): Promise<unknown> {
  const res = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: HISTORY_QUERY, variables: { chatId } }),
  });
  return normalize(await res.json());
}

/**
 * Scenario 1: the same nested query through each gateway, interleaved rounds after a warm-up: requests/s and p50/p99
 * at a fixed concurrency, then p99 at a fixed rate every gateway can sustain. Every gateway's answer is first checked
 * to be identical to chatgraph's, so they all do the same work.
 */
export async function federatedQuery(
  stack: BenchStack,
  seed: Seed,
  options: FederatedQueryOptions,
  log: (line: string) => void,
): Promise<FederatedQueryResult> {
  const skipped: Record<string, string> = {};
  const gateways: RunningGateway[] = [];
  for (const kind of options.gateways) {
    try {
      gateways.push(await stack.startGateway(kind, `q-${kind}`));
    } catch (err) {
      skipped[kind] = (err as Error).message.split('\n')[0]!;
      log(`  ${kind}: could not start: ${skipped[kind]}`);
    }
  }
  const viewer = seed.historyChat.members[0]!;
  const chatId = seed.historyChat.id;
  const reference = await query(gateways[0]!, viewer.token, chatId);
  const messages = (reference as { data?: { chat?: { messages?: { nodes?: unknown[] } } } }).data?.chat?.messages
    ?.nodes;
  if (!messages || messages.length !== 50)
    throw new Error(`history query did not return 50 messages: ${JSON.stringify(reference).slice(0, 500)}`);
  for (const g of gateways.slice(1)) {
    const answer = await query(g, viewer.token, chatId);
    if (!isDeepStrictEqual(answer, reference)) {
      skipped[g.kind] = `answered differently from ${gateways[0]!.kind}: ${JSON.stringify(answer).slice(0, 300)}`;
      log(`  ${g.kind}: ${skipped[g.kind]}`);
    }
  }
  const active = gateways.filter((g) => !skipped[g.kind]);
  const load = await HttpLoad.start(stack);
  try {
    const request = (g: RunningGateway) => ({
      url: g.url,
      headers: { authorization: `Bearer ${viewer.token}` },
      body: JSON.stringify({ query: HISTORY_QUERY, variables: { chatId } }),
    });
    const warm: Record<string, number> = {};
    for (const g of active) {
      const r = await load.run({
        ...request(g),
        mode: 'closed',
        concurrency: options.concurrency,
        durationMs: options.warmupMs,
      });
      warm[g.kind] = r.requestsPerSecond;
      log(`  warm-up ${g.kind}: ${round(r.requestsPerSecond, 0)} req/s, ${r.errors} errors`);
    }
    const fixedRate = Math.max(1, Math.floor(options.rateFraction * Math.min(...Object.values(warm))));
    const runs = new Map<GatewayKind, GatewayQueryResult['runs']>(active.map((g) => [g.kind, []]));
    for (let round_ = 0; round_ < options.rounds; round_++) {
      // Rotate the order every round so that no gateway always runs first (or after the same neighbour).
      const order = active.map((_, i) => active[(i + round_) % active.length]!);
      for (const g of order) {
        const before = processSample(g.process);
        const subBefore = subgraphCpu(stack);
        const machineBefore = cpuTimes();
        const closed = await load.run({
          ...request(g),
          mode: 'closed',
          concurrency: options.concurrency,
          durationMs: options.runMs,
        });
        const machineCpuBusyPercent = busyPercent(machineBefore, cpuTimes());
        const after = processSample(g.process);
        const subAfter = subgraphCpu(stack);
        const gatewayCpuMsPerRequest = round(
          ((after.cpuSeconds - before.cpuSeconds) * 1000) / Math.max(1, closed.completed),
          3,
        );
        const subgraphsCpuMsPerRequest = round(((subAfter - subBefore) * 1000) / Math.max(1, closed.completed), 3);
        const open = await load.run({ ...request(g), mode: 'open', rate: fixedRate, durationMs: options.runMs });
        const gatewayCpuPercent = round(((after.cpuSeconds - before.cpuSeconds) * 100_000) / closed.elapsedMs, 0);
        runs.get(g.kind)!.push({
          closed,
          open,
          gatewayCpuPercent,
          gatewayCpuMsPerRequest,
          subgraphsCpuMsPerRequest,
          machineCpuBusyPercent,
        });
        log(
          `  round ${round_ + 1} ${g.kind}: ${round(closed.requestsPerSecond, 0)} req/s p50 ${round(closed.latency.p50)} p99 ${round(closed.latency.p99)} ms (gateway cpu ${gatewayCpuPercent}%, ${gatewayCpuMsPerRequest} ms/req; subgraphs ${subgraphsCpuMsPerRequest} ms/req; CPUs busy ${machineCpuBusyPercent.join('/')}%); ` +
            `at ${fixedRate}/s p99 ${round(open.latency.p99)} ms${closed.errors + open.errors ? `, ${closed.errors + open.errors} errors: ${closed.firstError ?? open.firstError}` : ''}`,
        );
      }
    }
    const results: GatewayQueryResult[] = active.map((g) => {
      const list = runs.get(g.kind)!;
      const rps = median(list.map((r) => r.closed.requestsPerSecond));
      const mid = [...list].sort((a, b) => a.closed.requestsPerSecond - b.closed.requestsPerSecond)[list.length >> 1]!;
      return {
        kind: g.kind,
        runs: list,
        requestsPerSecond: round(rps, 1),
        p50: round(median(list.map((r) => r.closed.latency.p50)), 2),
        p99: round(median(list.map((r) => r.closed.latency.p99)), 2),
        fixedRateP50: round(median(list.map((r) => r.open.latency.p50)), 2),
        fixedRateP99: round(median(list.map((r) => r.open.latency.p99)), 2),
        fixedRateErrors: list.reduce((n, r) => n + r.open.errors, 0),
        errors: list.reduce((n, r) => n + r.closed.errors, 0),
        gatewayCpuPercent: round(median(list.map((r) => r.gatewayCpuPercent)), 0),
        gatewayCpuMsPerRequest: round(median(list.map((r) => r.gatewayCpuMsPerRequest)), 3),
        subgraphsCpuMsPerRequest: round(median(list.map((r) => r.subgraphsCpuMsPerRequest)), 3),
        distribution: mid.closed.distribution,
        fixedRateDistribution: mid.open.distribution,
      };
    });
    const ours = results.find((r) => r.kind === 'chatgraph');
    const ratios: FederatedQueryResult['ratios'] = {};
    if (ours) {
      for (const peer of results.filter((r) => r.kind !== 'chatgraph')) {
        ratios[peer.kind] = {
          throughput: ratio(ours.requestsPerSecond, peer.requestsPerSecond),
          p99: ratio(ours.p99, peer.p99),
          fixedRateP99: ratio(ours.fixedRateP99, peer.fixedRateP99),
          // peer / ours: how many times less gateway CPU we spend per request (higher is better).
          cpuPerRequest: ratio(peer.gatewayCpuMsPerRequest, ours.gatewayCpuMsPerRequest),
        };
      }
    }
    return {
      concurrency: options.concurrency,
      fixedRate,
      runMs: options.runMs,
      rounds: options.rounds,
      gateways: results,
      ratios,
      skipped,
      queryPlanFetches: queryPlanFetches(HISTORY_QUERY),
    };
  } finally {
    await load.close();
    for (const g of gateways) await stack.stopGateway(g);
  }
}
