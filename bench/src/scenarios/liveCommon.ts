import type { BenchStack, RunningGateway } from '../BenchStack';
import type { LiveLoad } from '../LoadWorker';
import { processSample } from '../processSample';
import type { LiveSender } from '../load/protocol';

/** CPU seconds used so far by the three subgraph processes together. */
export function subgraphCpu(stack: BenchStack): number {
  let total = 0;
  for (const proc of stack.subgraphs.values()) total += processSample(proc).cpuSeconds;
  return total;
}

/** The subscription every live scenario runs: fields from chats, users and presence. */
export const EVENTS_SUBSCRIPTION = `subscription Events($chatId: ID!) {
  chatEvents(chatId: $chatId) {
    seq type chatId at
    message { id seq text author { id displayName presence { status } } }
  }
}`;

/** The gateway's /stats (engine counters). */
export interface GatewayMetrics {
  subscriptions: {
    activeSubscriptions: number;
    /** Subscriptions authorized and attached (in a group). */
    liveSubscriptions: number;
    groups: number;
    topics: number;
    delivered: number;
    eventExecutions: number;
    slowConsumersClosed: number;
    /** Events that arrived after a missing seq (each starts a repair from the log). */
    gapsDetected: number;
    /** Replay queries sent to the log (resume with afterSeq, gap repair). */
    replays: number;
  };
  connections: number;
}

/** Reads a gateway's /stats (on its admin port). */
export async function metrics(gateway: RunningGateway): Promise<GatewayMetrics> {
  const res = await fetch(`http://127.0.0.1:${gateway.process.adminPort}/stats`);
  return (await res.json()) as GatewayMetrics;
}

/**
 * Waits until every gateway reports `expected(g)` subscriptions (subscribe is asynchronous on the server): `active`
 * ones by default (counted as soon as a subscribe takes its slot), or `live` ones (authorized and receiving events:
 * nothing of their setup is still under way).
 */
export async function waitForSubscriptions(
  gateways: RunningGateway[],
  expected: (g: RunningGateway) => number,
  timeoutMs = 30_000,
  state: 'active' | 'live' = 'active',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const counter = state === 'live' ? 'liveSubscriptions' : 'activeSubscriptions';
  for (;;) {
    const counts = await Promise.all(gateways.map(async (g) => (await metrics(g)).subscriptions[counter]));
    if (counts.every((n, i) => n === expected(gateways[i]!))) return;
    if (Date.now() > deadline) {
      throw new Error(
        `subscriptions not ${state} after ${timeoutMs} ms: ${gateways.map((g, i) => `${g.name} ${counts[i]}/${expected(g)}`).join(', ')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Sends one event per chat until a round reaches every subscription. The gateway counts a subscription as active
 * before its membership check and Redis attach are done, so /stats alone does not say it is live; a subscription
 * without afterSeq that is not live yet rightly misses events. Returns the number of rounds it took.
 */
export async function untilLive(
  load: LiveLoad,
  url: string,
  via: 'gateway' | 'subgraph',
  senders: LiveSender[],
  maxRounds = 20,
): Promise<number> {
  for (let round = 1; round <= maxRounds; round++) {
    // A first round right after subscribing often misses subscriptions still being set up: wait briefly for it, then
    // longer, for a target that is live but slow.
    const r = await load.send({
      url,
      via,
      senders,
      rate: senders.length * 2,
      durationMs: 500,
      drainMs: round === 1 ? 1000 : 5000,
    });
    if (r.sent > 0 && r.received === r.expected && r.sendErrors === 0) return round;
  }
  throw new Error(`subscriptions not all live after ${maxRounds} probe rounds`);
}
