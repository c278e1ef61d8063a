import type { BenchStack, RunningGateway } from '../BenchStack';
import { LiveLoad } from '../LoadWorker';
import { cpuSecondsOf } from '../infrastructureCpu';
import type { LiveConnectionSpec, LiveSendResult } from '../load/protocol';
import type { Seed } from '../seed';
import { busyPercent, cpuTimes } from '../machineCpu';
import { median, ratio, round } from '../stats';
import { EVENTS_SUBSCRIPTION, metrics, untilLive, waitForSubscriptions } from './liveCommon';

/** Options of scenario 2. */
export interface LiveLatencyOptions {
  /** Chats used (each member of each chat subscribes once). */
  chats: number;
  rates: number[];
  warmupMs: number;
  runMs: number;
  rounds: number;
  /** Also run Hive Gateway's event-driven subscriptions on the same channels (needs the peers package). */
  withHive?: boolean;
}

/** Medians over the rounds at one rate. */
export interface RateResult {
  rate: number;
  runs: LiveSendResult[];
  /**
   * CPU ms per sent event of each process (gateway A, gateway B, each subgraph, the load generator) and of the servers
   * (PostgreSQL, Redis, RabbitMQ, all their processes): the cost split.
   */
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
  /** chatgraph only, summed over rounds and both gateways: gaps subscribers saw and the replay queries they sent. */
  gapsDetected?: number;
  replays?: number;
  distribution: number[];
}

/** Result of scenario 2. */
export interface LiveLatencyResult {
  subscribers: number;
  chats: number;
  gatewayInstances: number;
  /** chatgraph. */
  rates: RateResult[];
  /** Peers on the same load. */
  peers: Record<string, { subscription: string; rates: RateResult[] }>;
  /** peer ÷ chatgraph at each rate: how many times our latency the peer's is (higher means we are faster). */
  ratios: Record<string, Record<string, { p50: number; p99: number }>>;
  /** Peers this scenario did not run, and why. */
  notRun: Record<string, string>;
  /** What differs in the peers' runs. */
  notes: Record<string, string>;
}

/**
 * Hive Gateway's gateway-side EDFS field (see procs/hiveGateway.ts): the published event's `message` (an entity), with
 * the same message selection as {@link EVENTS_SUBSCRIPTION}. Hive resolves the fields other subgraphs own only when
 * the field returns an entity; the ChatEvent root fields (seq, type, chatId, at) are not selected.
 */
const HIVE_SUBSCRIPTION = `subscription Events($chatId: ID!) {
  chatMessagesEdfs(chatId: $chatId) { id seq text author { id displayName presence { status } } }
}`;

const HIVE_CAVEAT =
  'Hive EDFS runs no membership check per subscriber (no authorize), no resume and no gap repair, and its subscription returns the message (an entity) rather than the ChatEvent.';

/** Gaps seen and replays sent so far by these gateways together. */
async function gapCounts(gateways: RunningGateway[]): Promise<{ gapsDetected: number; replays: number }> {
  const all = await Promise.all(gateways.map(metrics));
  return {
    gapsDetected: all.reduce((n, m) => n + m.subscriptions.gapsDetected, 0),
    replays: all.reduce((n, m) => n + m.subscriptions.replays, 0),
  };
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** One gateway system under test: its two instances and the subscription its clients send. */
interface LiveSystem {
  kind: 'chatgraph' | 'hive';
  a: RunningGateway;
  b: RunningGateway;
  query: string;
}

/**
 * Checks that Hive Gateway's EDFS field delivers a complete event (fields of all three subgraphs, no errors) to one
 * subscriber; returns null when it does, else why not.
 */
async function probeHive(
  stack: BenchStack,
  load: LiveLoad,
  hive: RunningGateway,
  chat: Seed['chats'][number],
): Promise<string | null> {
  await load.subscribe({
    query: HIVE_SUBSCRIPTION,
    connections: [{ wsUrl: hive.wsUrl, label: 'H', token: chat.members[0]!.token, chatIds: [chat.id] }],
  });
  try {
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
      if (last.errorFrames > 0 || (last.received === last.expected && last.expected > 0)) break;
    }
    if (last && last.errorFrames > 0)
      return `Hive Gateway's event-driven subscription answered with errors: ${last.firstErrorFrame}`;
    if (!last || last.received < last.expected || last.expected === 0)
      return "Hive Gateway's event-driven subscription delivered nothing in a probe.";
    return null;
  } finally {
    await load.closeConnections();
  }
}

/**
 * Scenario 2: every member of `chats` chats subscribes once, alternating between two gateway instances; one member per
 * chat sends through instance A at a fixed total rate; latency from the moment each send was due to its receipt by
 * every subscriber (B's subscribers are the cross-instance path). Each round subscribes, measures every rate (order
 * alternating) and unsubscribes. With `withHive`, the same subscribers and sends then run through two Hive Gateway
 * instances (event-driven subscriptions on the same Redis channels) in one phase after chatgraph's rounds.
 */
export async function liveLatency(
  stack: BenchStack,
  seed: Seed,
  options: LiveLatencyOptions,
  log: (line: string) => void,
): Promise<LiveLatencyResult> {
  const chats = seed.chats.slice(0, options.chats);
  const load = await LiveLoad.start(stack);
  const started: RunningGateway[] = [];
  const notRun: Record<string, string> = {};
  const notes: Record<string, string> = {};
  try {
    const start = async (kind: 'chatgraph' | 'hive', name: string) => {
      const g = await stack.startGateway(kind, name, kind === 'hive' ? { env: { BENCH_HIVE_EDFS: '1' } } : {});
      started.push(g);
      return g;
    };
    const systems: LiveSystem[] = [
      {
        kind: 'chatgraph',
        a: await start('chatgraph', 'live-A'),
        b: await start('chatgraph', 'live-B'),
        query: EVENTS_SUBSCRIPTION,
      },
    ];
    if (options.withHive) {
      try {
        const ha = await start('hive', 'live-hive-A');
        const why = await probeHive(stack, load, ha, chats[0]!);
        if (why) notRun.hive = `${why} No comparable number. ${HIVE_CAVEAT}`;
        else systems.push({ kind: 'hive', a: ha, b: await start('hive', 'live-hive-B'), query: HIVE_SUBSCRIPTION });
      } catch (err) {
        notRun.hive = `Hive Gateway could not be set up with event-driven subscriptions: ${(err as Error).message.split('\n')[0]}`;
      }
      if (notRun.hive) log(`  hive: ${notRun.hive.slice(0, 400)}`);
    } else {
      notRun.hive = 'not run in this mode (our side only)';
    }

    const runs = new Map<string, LiveSendResult[]>();
    const cpu = new Map<string, Array<Record<string, number>>>();
    const machine = new Map<string, number[][]>();
    const gaps = new Map<string, Array<{ gapsDetected: number; replays: number }>>();
    const warmed = new Set<string>();
    let subscribers = 0;
    // chatgraph's rounds first; a peer runs one phase after them, lightest rate first: a peer that cannot keep up
    // leaves a backlog behind it, which would spill into whatever runs next.
    const phases: Array<{ system: LiveSystem; round: number }> = [];
    for (let r = 0; r < options.rounds; r++) phases.push({ system: systems[0]!, round: r });
    for (const peer of systems.slice(1)) phases.push({ system: peer, round: 0 });
    const runPhase = async ({ system, round: round_ }: { system: LiveSystem; round: number }) => {
      const { a, b } = system;
      const connections: LiveConnectionSpec[] = [];
      for (const chat of chats) {
        chat.members.forEach((member, i) => {
          const gateway = i % 2 === 0 ? a : b;
          connections.push({
            wsUrl: gateway.wsUrl,
            label: gateway === a ? 'A' : 'B',
            token: member.token,
            chatIds: [chat.id],
          });
        });
      }
      subscribers = connections.length;
      const t0 = Date.now();
      await load.subscribe({ query: system.query, connections });
      if (system.kind === 'chatgraph') {
        const half = connections.filter((c) => c.label === 'A').length;
        await waitForSubscriptions([a, b], (g) => (g === a ? half : connections.length - half));
      }
      const senders = chats.map((chat) => ({ chatId: chat.id, token: chat.members[0]!.token }));
      const probes = await untilLive(load, a.url, 'gateway', senders);
      log(
        `  ${system.kind}: ${connections.length} subscribers on 2 instances over ${chats.length} chats, live in ${Date.now() - t0} ms (${probes} probe round(s))`,
      );
      const send = (rate: number, durationMs: number) =>
        load.send({ url: a.url, via: 'gateway', senders, rate, durationMs, drainMs: 3000 });
      if (!warmed.has(system.kind)) {
        // At the lightest rate (a peer that cannot keep up at the highest would carry the backlog into its rounds),
        // long enough that what is measured is a service that has been running (optimized code, filled caches, pools
        // at their working size), not one still compiling its hot paths.
        const warm = await send(Math.min(...options.rates), options.warmupMs);
        warmed.add(system.kind);
        log(`  ${system.kind} warm-up: ${warm.received}/${warm.expected} delivered, p99 ${round(warm.latency.p99)} ms`);
      }
      const cpuNow = () =>
        cpuSecondsOf({ 'gateway A': a.process, 'gateway B': b.process, ...Object.fromEntries(stack.subgraphs) });
      const rates = round_ % 2 === 0 ? options.rates : [...options.rates].reverse();
      for (const rate of rates) {
        const key = `${system.kind}@${rate}`;
        const before = cpuNow();
        const gapsBefore = system.kind === 'chatgraph' ? await gapCounts([a, b]) : undefined;
        const machineBefore = cpuTimes();
        const r = await send(rate, options.runMs);
        const machineBusy = busyPercent(machineBefore, cpuTimes());
        const after = cpuNow();
        if (gapsBefore) {
          const gapsAfter = await gapCounts([a, b]);
          push(gaps, key, {
            gapsDetected: gapsAfter.gapsDetected - gapsBefore.gapsDetected,
            replays: gapsAfter.replays - gapsBefore.replays,
          });
        }
        const perEvent: Record<string, number> = Object.fromEntries(
          Object.keys(after).map((k) => [k, ((after[k]! - before[k]!) * 1000) / Math.max(1, r.sent)]),
        );
        perEvent['load generator'] = (r.workerCpuSeconds * 1000) / Math.max(1, r.sent);
        push(runs, key, r);
        push(cpu, key, perEvent);
        push(machine, key, machineBusy);
        log(
          `  round ${round_ + 1} ${system.kind} at ${rate}/s: ${r.received}/${r.expected} delivered, p50 ${round(r.latency.p50)} p99 ${round(r.latency.p99)} max ${round(r.latency.max)} ms` +
            ` (B: p99 ${round(r.byLabel.B?.latency.p99 ?? Number.NaN)} ms; sendMessage alone p50 ${round(r.sendLatency.p50)} p99 ${round(r.sendLatency.p99)})` +
            `${gaps.get(key)?.at(-1) ? `; ${gaps.get(key)!.at(-1)!.gapsDetected} gaps seen, ${gaps.get(key)!.at(-1)!.replays} replays` : ''}` +
            `${r.errorFrames ? `, ${r.errorFrames} error frames: ${r.firstErrorFrame}` : ''}${r.sendErrors ? `, ${r.sendErrors} send errors: ${r.firstError}` : ''}`,
        );
        log(
          `    CPU ms per event: ${Object.entries(perEvent)
            .map(([k, v]) => `${k} ${round(v, 2)}`)
            .join(', ')}; machine CPUs busy ${machineBusy.join('/')}%`,
        );
      }
      await load.closeConnections();
      if (system.kind === 'chatgraph') await waitForSubscriptions([a, b], () => 0);
    };
    for (const phase of phases) {
      if (phase.system.kind === 'chatgraph') {
        await runPhase(phase);
        continue;
      }
      // A peer that cannot be measured (its subscriptions never all live, say) is reported as not run; the
      // rounds of ours already measured stand.
      try {
        await runPhase(phase);
      } catch (err) {
        const kind = phase.system.kind;
        notRun[kind] = `${kind} could not be measured: ${(err as Error).message.split('\n')[0]}. ${HIVE_CAVEAT}`;
        log(`  ${kind}: ${notRun[kind]!.slice(0, 400)}`);
        for (const rate of options.rates) runs.delete(`${kind}@${rate}`);
        await load.closeConnections().catch(() => undefined);
      }
    }

    const summarize = (kind: string): RateResult[] =>
      options.rates.map((rate) => {
        const key = `${kind}@${rate}`;
        const list = runs.get(key)!;
        const perEvent = cpu.get(key)!;
        const mid = [...list].sort((x, y) => x.latency.p99 - y.latency.p99)[list.length >> 1]!;
        return {
          rate,
          runs: list,
          machineCpuBusyPercent: machine.get(key)!,
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
          ...(gaps.has(key)
            ? {
                gapsDetected: gaps.get(key)!.reduce((n, g) => n + g.gapsDetected, 0),
                replays: gaps.get(key)!.reduce((n, g) => n + g.replays, 0),
              }
            : {}),
          distribution: mid.distribution,
        };
      });
    const ours = summarize('chatgraph');
    const peers: LiveLatencyResult['peers'] = {};
    const ratios: LiveLatencyResult['ratios'] = {};
    for (const system of systems.filter((s) => s.kind !== 'chatgraph' && !notRun[s.kind])) {
      const theirs = summarize(system.kind);
      peers[system.kind] = { subscription: system.query, rates: theirs };
      ratios[system.kind] = Object.fromEntries(
        ours.map((o, i) => [
          String(o.rate),
          { p50: ratio(theirs[i]!.p50, o.p50, 1), p99: ratio(theirs[i]!.p99, o.p99, 1) },
        ]),
      );
      notes[system.kind] = HIVE_CAVEAT;
    }
    return { subscribers, chats: chats.length, gatewayInstances: 2, rates: ours, peers, ratios, notRun, notes };
  } finally {
    await load.closeConnections().catch(() => undefined);
    await load.close();
    for (const g of started) await stack.stopGateway(g);
  }
}
