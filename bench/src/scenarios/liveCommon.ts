import type { BenchStack, RunningGateway } from '../BenchStack';

/** CPU seconds used so far by the three subgraph processes together. */
export function subgraphCpu(stack: BenchStack): number {
  let total = 0;
  for (const proc of stack.subgraphs.values()) total += proc.sample().cpuSeconds;
  return total;
}

/** The subscription every live scenario runs: fields from chats, users and presence. */
export const EVENTS_SUBSCRIPTION = `subscription Events($chatId: ID!) {
  chatEvents(chatId: $chatId) {
    seq type chatId at
    message { id seq text author { id displayName presence { status } } }
  }
}`;

/** The gateway's /metrics (engine counters). */
export interface GatewayMetrics {
  subscriptions: { activeSubscriptions: number; groups: number; topics: number; delivered: number; eventExecutions: number; slowConsumersClosed: number };
  connections: number;
}

/** Reads a gateway's /metrics. */
export async function metrics(gateway: RunningGateway): Promise<GatewayMetrics> {
  const res = await fetch(gateway.url.replace(/\/graphql$/, '/metrics'));
  return (await res.json()) as GatewayMetrics;
}

/** Waits until every gateway reports `expected(g)` active subscriptions (subscribe is asynchronous on the server). */
export async function waitForSubscriptions(gateways: RunningGateway[], expected: (g: RunningGateway) => number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await Promise.all(gateways.map(async (g) => (await metrics(g)).subscriptions.activeSubscriptions));
    if (counts.every((n, i) => n === expected(gateways[i]!))) return;
    if (Date.now() > deadline) {
      throw new Error(`subscriptions not active after ${timeoutMs} ms: ${gateways.map((g, i) => `${g.name} ${counts[i]}/${expected(g)}`).join(', ')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
