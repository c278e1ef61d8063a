import type { BenchStack, RunningGateway } from '../BenchStack';
import { LiveLoad } from '../LoadWorker';
import type { LiveConnectionSpec, LiveSendResult } from '../load/protocol';
import type { Seed } from '../seed';
import { busyPercent, cpuTimes } from '../machineCpu';
import { median, round } from '../stats';
import { EVENTS_SUBSCRIPTION, untilLive, waitForSubscriptions } from './liveCommon';

/** Options of scenario 2. */
export interface LiveLatencyOptions {
  /** Chats used (each member of each chat subscribes once). */
  chats: number;
  rates: number[];
  warmupMs: number;
  runMs: number;
  rounds: number;
  /** Also try Hive Gateway's event-driven subscriptions on the same channels (needs the peers package). */
  probeHive?: boolean;
}

/** Medians over the rounds at one rate. */
export interface RateResult {
  rate: number;
  runs: LiveSendResult[];
  /** CPU ms per sent event of each process (gateway A, gateway B, each subgraph, the load generator): the cost split. */
  cpuMsPerEvent: Record<string, number>;
  /** How busy each CPU of the machine was during each round, by anyone. */
  machineCpuBusyPercent: number[][];
  /** sendMessage response time alone (median over rounds). */
  sendP50: number;
  sendP99: number;
  p50: number;
  p99: number;
  /** Largest latency seen in any round. */
  max: number;
  /** p99 of the subscribers on the instance that did not receive the send (median over rounds). */
  otherInstanceP99: number;
  delivered: number;
  expected: number;
  errorFrames: number;
  distribution: number[];
}

/** Result of scenario 2. */
export interface LiveLatencyResult {
  subscribers: number;
  chats: number;
  gatewayInstances: number;
  rates: RateResult[];
  /** Peers this scenario did not run, and why. */
  notRun: Record<string, string>;
}

/** The subscription through Hive Gateway's gateway-side EDFS field (see procs/hiveGateway.ts), same selection. */
const HIVE_EVENTS_SUBSCRIPTION = EVENTS_SUBSCRIPTION.replace(
  'chatEvents(chatId: $chatId)',
  'chatEventsEdfs(chatId: $chatId)',
);

/**
 * Sets Hive Gateway up with event-driven subscriptions on the chats subgraph's Redis channels and checks that one
 * subscriber gets a correct event (all three subgraphs' fields, no errors) before any load is worth running.
 * Returns why no side-by-side number is reported.
 */
async function probeHive(
  stack: BenchStack,
  load: LiveLoad,
  chat: Seed['chats'][number],
  log: (line: string) => void,
): Promise<string> {
  const fairness =
    'Even when it works, Hive EDFS runs no membership check per subscriber (no authorize), no resume and no gap repair, so it does less work than chatgraph per subscription.';
  let hive: RunningGateway | undefined;
  try {
    hive = await stack.startGateway('hive', 'live-hive', { env: { BENCH_HIVE_EDFS: '1' } });
    await load.subscribe({
      query: HIVE_EVENTS_SUBSCRIPTION,
      connections: [{ wsUrl: hive.wsUrl, label: 'H', token: chat.members[0]!.token, chatIds: [chat.id] }],
    });
    const senders = [{ chatId: chat.id, userId: chat.members[0]!.id }];
    let last: LiveSendResult | undefined;
    for (let i = 0; i < 5; i++) {
      last = await load.send({
        url: stack.subgraphUrl('chats'),
        via: 'subgraph',
        senders,
        rate: 4,
        durationMs: 250,
        drainMs: 2000,
      });
      if (last.errorFrames > 0 || last.received === last.expected) break;
    }
    const reason =
      last && last.errorFrames > 0
        ? `With the setup tried here (a gateway-side field with @resolveTo(pubsubTopic, sourceName: "chats") on the same Redis channels, see bench/src/procs/hiveGateway.ts), Hive Gateway's event-driven subscriptions delivered the event but not the fields other subgraphs own (author.displayName from users, presence); its answer was ${last.firstErrorFrame}. No comparable number. ${fairness}`
        : last && last.received === last.expected
          ? `Hive Gateway's event-driven subscriptions delivered a correct event in a probe, but the side-by-side load is not implemented yet. ${fairness}`
          : `Hive Gateway's event-driven subscriptions delivered nothing in a probe. ${fairness}`;
    log(`  hive: ${reason.slice(0, 300)}`);
    return reason;
  } catch (err) {
    return `Hive Gateway could not be set up with event-driven subscriptions: ${(err as Error).message.split('\n')[0]}`;
  } finally {
    await load.closeConnections().catch(() => undefined);
    if (hive) await stack.stopGateway(hive);
  }
}

/**
 * Scenario 2: every member of `chats` chats subscribes to chatEvents, alternating between two chatgraph gateway
 * instances; one member per chat sends through instance A at a fixed total rate; latency from the moment each send
 * was due to its receipt by every subscriber (both instances; B's subscribers are the cross-instance path).
 */
export async function liveLatency(
  stack: BenchStack,
  seed: Seed,
  options: LiveLatencyOptions,
  log: (line: string) => void,
): Promise<LiveLatencyResult> {
  const a = await stack.startGateway('chatgraph', 'live-A');
  const b = await stack.startGateway('chatgraph', 'live-B');
  const load = new LiveLoad(stack.config.GATEWAY_IDENTITY_SECRET);
  try {
    const chats = seed.chats.slice(0, options.chats);
    const connections: LiveConnectionSpec[] = [];
    const perGateway = new Map<RunningGateway, number>([
      [a, 0],
      [b, 0],
    ]);
    for (const chat of chats) {
      chat.members.forEach((member, i) => {
        const gateway = i % 2 === 0 ? a : b;
        perGateway.set(gateway, perGateway.get(gateway)! + 1);
        connections.push({
          wsUrl: gateway.wsUrl,
          label: gateway === a ? 'A' : 'B',
          token: member.token,
          chatIds: [chat.id],
        });
      });
    }
    const t0 = Date.now();
    await load.subscribe({ query: EVENTS_SUBSCRIPTION, connections });
    await waitForSubscriptions([a, b], (g) => perGateway.get(g)!);
    log(`  ${connections.length} subscribers on 2 instances over ${chats.length} chats in ${Date.now() - t0} ms`);
    const senders = chats.map((chat) => ({ chatId: chat.id, token: chat.members[0]!.token }));
    const rounds = await untilLive(load, a.url, 'gateway', senders);
    log(`  all subscriptions live after ${rounds} probe round(s)`);
    const send = (rate: number, durationMs: number) =>
      load.send({ url: a.url, via: 'gateway', senders, rate, durationMs, drainMs: 3000 });
    const warm = await send(options.rates[0]!, options.warmupMs);
    log(`  warm-up: ${warm.received}/${warm.expected} delivered, p99 ${round(warm.latency.p99)} ms`);
    const runs = new Map<number, LiveSendResult[]>(options.rates.map((r) => [r, []]));
    const cpu = new Map<number, Array<Record<string, number>>>(options.rates.map((r) => [r, []]));
    const machine = new Map<number, number[][]>(options.rates.map((r) => [r, []]));
    const processes = () => ({
      'gateway A': a.process,
      'gateway B': b.process,
      ...Object.fromEntries(stack.subgraphs),
    });
    const cpuNow = () =>
      Object.fromEntries(Object.entries(processes()).map(([name, p]) => [name, p.sample().cpuSeconds]));
    for (let round_ = 0; round_ < options.rounds; round_++) {
      const order = round_ % 2 === 0 ? options.rates : [...options.rates].reverse();
      for (const rate of order) {
        const before = cpuNow();
        const machineBefore = cpuTimes();
        const r = await send(rate, options.runMs);
        const machineBusy = busyPercent(machineBefore, cpuTimes());
        const after = cpuNow();
        runs.get(rate)!.push(r);
        const perEvent: Record<string, number> = Object.fromEntries(
          Object.keys(after).map((k) => [k, ((after[k]! - before[k]!) * 1000) / Math.max(1, r.sent)]),
        );
        perEvent['load generator'] = (r.workerCpuSeconds * 1000) / Math.max(1, r.sent);
        cpu.get(rate)!.push(perEvent);
        machine.get(rate)!.push(machineBusy);
        log(
          `  round ${round_ + 1} at ${rate}/s: ${r.received}/${r.expected} delivered, p50 ${round(r.latency.p50)} p99 ${round(r.latency.p99)} max ${round(r.latency.max)} ms (sendMessage alone p50 ${round(r.sendLatency.p50)} p99 ${round(r.sendLatency.p99)})` +
            ` (B: p99 ${round(r.byLabel.B?.latency.p99 ?? Number.NaN)} ms)${r.sendErrors ? `, ${r.sendErrors} send errors: ${r.firstError}` : ''}`,
        );
        log(
          `    CPU ms per event: ${Object.entries(perEvent)
            .map(([k, v]) => `${k} ${round(v, 2)}`)
            .join(', ')}; machine CPUs busy ${machineBusy.join('/')}%`,
        );
      }
    }
    const notRun: Record<string, string> = {};
    if (options.probeHive) {
      await load.closeConnections();
      notRun.hive = await probeHive(stack, load, chats[0]!, log);
    } else {
      notRun.hive = 'not tried in this mode (our side only)';
    }
    const rates: RateResult[] = options.rates.map((rate) => {
      const list = runs.get(rate)!;
      const mid = [...list].sort((x, y) => x.latency.p99 - y.latency.p99)[list.length >> 1]!;
      const perEvent = cpu.get(rate)!;
      return {
        rate,
        runs: list,
        machineCpuBusyPercent: machine.get(rate)!,
        cpuMsPerEvent: Object.fromEntries(
          Object.keys(perEvent[0]!).map((k) => [k, round(median(perEvent.map((x) => x[k]!)), 3)]),
        ),
        sendP50: round(median(list.map((r) => r.sendLatency.p50)), 2),
        sendP99: round(median(list.map((r) => r.sendLatency.p99)), 2),
        p50: round(median(list.map((r) => r.latency.p50)), 2),
        p99: round(median(list.map((r) => r.latency.p99)), 2),
        max: round(Math.max(...list.map((r) => r.latency.max)), 2),
        otherInstanceP99: round(median(list.map((r) => r.byLabel.B?.latency.p99 ?? Number.NaN)), 2),
        delivered: list.reduce((n, r) => n + r.received, 0),
        expected: list.reduce((n, r) => n + r.expected, 0),
        errorFrames: list.reduce((n, r) => n + r.errorFrames, 0),
        distribution: mid.distribution,
      };
    });
    return {
      subscribers: connections.length,
      chats: chats.length,
      gatewayInstances: 2,
      rates,
      notRun,
    };
  } finally {
    await load.closeConnections().catch(() => undefined);
    await load.close();
    await stack.stopGateway(a);
    await stack.stopGateway(b);
  }
}
