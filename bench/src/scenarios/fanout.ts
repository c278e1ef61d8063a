import path from 'node:path';
import type { BenchStack, RunningGateway } from '../BenchStack';
import { ipcRequest } from '../ipcRequest';
import { LiveLoad } from '../LoadWorker';
import { processSample } from '../processSample';
import type { LiveConnectionSpec, LiveSendResult } from '../load/protocol';
import type { Seed } from '../seed';
import { busyPercent, cpuTimes } from '../machineCpu';
import { round } from '../stats';
import { EVENTS_SUBSCRIPTION, metrics, subgraphCpu, untilLive, waitForSubscriptions } from './liveCommon';

/** Options of scenario 3. */
export interface FanoutOptions {
  /** Total subscriptions at each step (ascending). */
  steps: number[];
  chats: number;
  /** Events per second (all chats together), sent straight to the chats subgraph so the gateway only fans out. */
  rate: number;
  runMs: number;
  subscriptionsPerConnection: number;
  /** Stop adding subscribers once p99 passes this. */
  p99LimitMs: number;
  /** Idle subscriptions for the one-per-connection memory measurement. */
  idleOnePerConnection: number;
}

/** One step. */
export interface FanoutStep {
  subscriptions: number;
  connections: number;
  run: LiveSendResult;
  deliveriesPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  gatewayCpuPercent: number;
  loadGeneratorCpuPercent: number;
  /** CPU of the three subgraph processes together during the run (100 = one core). */
  subgraphsCpuPercent: number;
  /** How busy each CPU of the machine was during the run, by anyone (shows competing work). */
  machineCpuBusyPercent: number[];
  /** Engine counters during the run (from /stats). */
  eventExecutions: number;
  slowConsumersClosed: number;
  /** Gaps subscribers saw (a seq arriving before the one it follows) and the replay queries their repairs sent. */
  gapsDetected: number;
  replays: number;
  /** Heap and RSS of the gateway after a full GC with these subscriptions idle, minus before any. */
  idleHeapDeltaBytes: number;
  idleRssDeltaBytes: number;
  heapBytesPerSubscription: number;
  rssBytesPerSubscription: number;
}

/** Result of scenario 3. */
export interface FanoutResult {
  rate: number;
  chats: number;
  subscriptionsPerConnection: number;
  steps: FanoutStep[];
  /** Largest deliveries/s seen at any step, and whether p99 stayed under the limit there. */
  maxDeliveriesPerSecond: number;
  stoppedBecause: string;
  /**
   * Memory per idle subscription when every subscription has its own connection (what a browser tab costs): the
   * growth from `warmup` connections to `subscriptions`, divided by the difference.
   */
  onePerConnection: {
    subscriptions: number;
    warmup?: number;
    heapBytesPerSubscription: number;
    rssBytesPerSubscription: number;
  };
}

interface Memory {
  heapUsed: number;
  rss: number;
}

const memory = (g: RunningGateway) => ipcRequest<Memory>(g.process, { type: 'memory' });

/**
 * With `BENCH_HEAP_SNAPSHOT_DIR` set, writes the gateway's heap snapshot there as `<name>.heapsnapshot` (taken after
 * the memory reading it explains; compare two with `node bench/dist/tools/heapDiff.js a b`).
 */
async function heapSnapshot(g: RunningGateway, name: string, log: (line: string) => void): Promise<void> {
  const dir = process.env.BENCH_HEAP_SNAPSHOT_DIR;
  if (!dir) return;
  const file = path.resolve(dir, `${name}.heapsnapshot`);
  await ipcRequest<{ file: string }>(g.process, { type: 'heap-snapshot', file }, 120_000);
  log(`  heap snapshot: ${file}`);
}

/**
 * Scenario 3: one chatgraph gateway process; subscriptions added in steps over `chats` chats, `rate` events/s sent to
 * the chats subgraph; deliveries/s, send → receipt latency and gateway CPU at each step, until p99 passes the limit.
 * Memory per idle subscription is the gateway's heap and RSS after a full GC, before sending, minus its baseline; it is
 * also measured on a fresh gateway with one connection per subscription.
 */
export async function fanout(
  stack: BenchStack,
  seed: Seed,
  options: FanoutOptions,
  log: (line: string) => void,
): Promise<FanoutResult> {
  const chats = seed.chats.slice(0, options.chats);
  const load = await LiveLoad.start(stack);
  try {
    const onePerConnection = await idleMemory(stack, load, chats, options.idleOnePerConnection, log);
    const gateway = await stack.startGateway('chatgraph', 'fanout');
    try {
      return { ...(await runSteps(stack, load, gateway, chats, options, log)), onePerConnection };
    } finally {
      await load.closeConnections().catch(() => undefined);
      await stack.stopGateway(gateway);
    }
  } finally {
    await load.close();
  }
}

/**
 * Memory per idle subscription with one connection each (what a client watching one chat costs), on a fresh gateway:
 * heap and RSS after a full GC with `count` idle subscriptions, minus the same after a warm-up of a tenth of them
 * (at most 100), divided by the subscriptions added in between. The warm-up takes the one-time costs out of the
 * figure (the first connection and subscription compile code, plan the operation and fill caches): what is left is
 * what each further subscription adds.
 */
async function idleMemory(
  stack: BenchStack,
  load: LiveLoad,
  chats: Seed['chats'],
  count: number,
  log: (line: string) => void,
): Promise<FanoutResult['onePerConnection']> {
  const gateway = await stack.startGateway('chatgraph', 'fanout-memory');
  try {
    const singles: LiveConnectionSpec[] = [];
    for (let i = 0; i < count; i++) {
      const chat = chats[i % chats.length]!;
      singles.push({
        wsUrl: gateway.wsUrl,
        label: 'M',
        token: chat.members[Math.floor(i / chats.length) % chat.members.length]!.token,
        chatIds: [chat.id],
      });
    }
    const warmup = Math.max(1, Math.min(100, Math.floor(count / 10)));
    await load.subscribe({ query: EVENTS_SUBSCRIPTION, connections: singles.slice(0, warmup) });
    // Live, not just active: a subscribe still being authorized holds requests and promises that are not its cost.
    await waitForSubscriptions([gateway], () => warmup, 30_000, 'live');
    const warm = await memory(gateway);
    await heapSnapshot(gateway, `idle-${warmup}`, log);
    await load.subscribe({ query: EVENTS_SUBSCRIPTION, connections: singles.slice(warmup) });
    await waitForSubscriptions([gateway], () => count, 30_000, 'live');
    const full = await memory(gateway);
    await heapSnapshot(gateway, `idle-${count}`, log);
    const added = count - warmup;
    const result = {
      subscriptions: count,
      warmup,
      heapBytesPerSubscription: round((full.heapUsed - warm.heapUsed) / added, 0),
      rssBytesPerSubscription: round((full.rss - warm.rss) / added, 0),
    };
    log(
      `  ${count} idle subscriptions, one connection each (${added} after a warm-up of ${warmup}): ${round(result.heapBytesPerSubscription / 1024, 1)} KB heap / ${round(result.rssBytesPerSubscription / 1024, 1)} KB RSS per subscription`,
    );
    return result;
  } finally {
    await load.closeConnections();
    await stack.stopGateway(gateway);
  }
}

/** Adds subscriptions step by step and measures each step (after a warm-up). */
async function runSteps(
  stack: BenchStack,
  load: LiveLoad,
  gateway: RunningGateway,
  chats: Seed['chats'],
  options: FanoutOptions,
  log: (line: string) => void,
): Promise<Omit<FanoutResult, 'onePerConnection'>> {
  const senders = chats.map((chat) => ({ chatId: chat.id, userId: chat.members[0]!.id }));
  const base = await memory(gateway);
  const steps: FanoutStep[] = [];
  let total = 0;
  let connectionIndex = 0;
  let stoppedBecause = `reached the last step (${options.steps[options.steps.length - 1]} subscriptions)`;
  for (const target of options.steps) {
    const specs: LiveConnectionSpec[] = [];
    while (total < target) {
      const chat = chats[connectionIndex % chats.length]!;
      const member = chat.members[Math.floor(connectionIndex / chats.length) % chat.members.length]!;
      const n = Math.min(options.subscriptionsPerConnection, target - total);
      specs.push({
        wsUrl: gateway.wsUrl,
        label: 'F',
        token: member.token,
        chatIds: new Array<string>(n).fill(chat.id),
      });
      total += n;
      connectionIndex++;
    }
    const t0 = Date.now();
    await load.subscribe({ query: EVENTS_SUBSCRIPTION, connections: specs });
    await waitForSubscriptions([gateway], () => total);
    await untilLive(load, stack.subgraphUrl('chats'), 'subgraph', senders);
    const setupMs = Date.now() - t0;
    if (steps.length === 0) {
      // Warm-up (plans, subgraph connections, JIT) before the first measured step.
      await load.send({
        url: stack.subgraphUrl('chats'),
        via: 'subgraph',
        senders,
        rate: options.rate,
        durationMs: Math.min(2000, options.runMs),
        drainMs: 5000,
      });
    }
    const idle = await memory(gateway);
    const connections = (await metrics(gateway)).connections;
    const cpuBefore = processSample(gateway.process).cpuSeconds;
    const subBefore = subgraphCpu(stack);
    const engineBefore = (await metrics(gateway)).subscriptions;
    const machineBefore = cpuTimes();
    const run = await load.send({
      url: stack.subgraphUrl('chats'),
      via: 'subgraph',
      senders,
      rate: options.rate,
      durationMs: options.runMs,
      drainMs: 5000,
    });
    const machineBusy = busyPercent(machineBefore, cpuTimes());
    const cpuAfter = processSample(gateway.process).cpuSeconds;
    const subAfter = subgraphCpu(stack);
    const engineAfter = (await metrics(gateway)).subscriptions;
    const step: FanoutStep = {
      subscriptions: total,
      connections,
      run,
      deliveriesPerSecond: round(run.deliveriesPerSecond, 0),
      p50: round(run.latency.p50, 2),
      p99: round(run.latency.p99, 2),
      max: round(run.latency.max, 2),
      gatewayCpuPercent: round(((cpuAfter - cpuBefore) * 100_000) / run.elapsedMs, 0),
      loadGeneratorCpuPercent: round((run.workerCpuSeconds * 100_000) / run.elapsedMs, 0),
      subgraphsCpuPercent: round(((subAfter - subBefore) * 100_000) / run.elapsedMs, 0),
      machineCpuBusyPercent: machineBusy,
      eventExecutions: engineAfter.eventExecutions - engineBefore.eventExecutions,
      slowConsumersClosed: engineAfter.slowConsumersClosed - engineBefore.slowConsumersClosed,
      gapsDetected: engineAfter.gapsDetected - engineBefore.gapsDetected,
      replays: engineAfter.replays - engineBefore.replays,
      idleHeapDeltaBytes: idle.heapUsed - base.heapUsed,
      idleRssDeltaBytes: idle.rss - base.rss,
      heapBytesPerSubscription: round((idle.heapUsed - base.heapUsed) / total, 0),
      rssBytesPerSubscription: round((idle.rss - base.rss) / total, 0),
    };
    steps.push(step);
    log(
      `  ${total} subscriptions (${connections} connections, set up in ${setupMs} ms): ${step.deliveriesPerSecond} deliveries/s, ` +
        `p50 ${step.p50} p99 ${step.p99} ms (sendMessage alone p50 ${round(run.sendLatency.p50)} p99 ${round(run.sendLatency.p99)} ms), ${run.received}/${run.expected} delivered; cpu: gateway ${step.gatewayCpuPercent}%, subgraphs ${step.subgraphsCpuPercent}%, load ${step.loadGeneratorCpuPercent}%; machine CPUs busy ${machineBusy.join('/')}%; ` +
        `${step.eventExecutions} event executions, ${step.slowConsumersClosed} slow consumers closed, ${step.gapsDetected} gaps seen, ${step.replays} replays; ` +
        `idle ${round(step.heapBytesPerSubscription / 1024, 1)} KB heap / ${round(step.rssBytesPerSubscription / 1024, 1)} KB RSS per subscription`,
    );
    if (step.p99 > options.p99LimitMs || run.received < run.expected) {
      stoppedBecause =
        run.received < run.expected
          ? `events lost or late at ${total} subscriptions`
          : `p99 passed ${options.p99LimitMs} ms at ${total} subscriptions`;
      break;
    }
  }
  return {
    rate: options.rate,
    chats: chats.length,
    subscriptionsPerConnection: options.subscriptionsPerConnection,
    steps,
    maxDeliveriesPerSecond: Math.max(...steps.map((s) => s.deliveriesPerSecond)),
    stoppedBecause,
  };
}
