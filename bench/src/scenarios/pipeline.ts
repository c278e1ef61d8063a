import { gatewayRequest, liveClient, signUp, type TestUser } from '@chatgraph/testing';
import type { GraphQLFormattedError } from 'graphql';
import type { Client } from 'graphql-ws';
import http from 'node:http';
import {
  notifierStats,
  settleDatabases,
  untilNotifierSettled,
  type BenchStack,
  type RunningGateway,
} from '../BenchStack';
import { postGraphQL } from '../load/postGraphQL';
import { busyPercent, cpuTimes } from '../machineCpu';
import { cpuSecondsOf } from '../infrastructureCpu';
import { median, round, summarize, type LatencySummary } from '../stats';
import {
  drainOneWorker,
  drainWebhookWorker,
  until,
  type DrainPhases,
  type DrainResult,
  type WebhookWorkerResult,
} from './pipelineDrain';
import { createWebhookOnce, LatencyReceiver } from './webhookEndpoint';

/** Options of scenario 6. */
export interface PipelineOptions {
  /** Direct chats, each between a sender and a recipient; every sender has a webhook on its chat. */
  pairs: number;
  /** Messages per second in the live phase (spread over the chats) and how long it sends. */
  rate: number;
  durationMs: number;
  /** Messages waiting for one worker in the drain phase. */
  backlog: number;
}

/** What scenario 6 measures. */
export interface PipelineResult {
  options: PipelineOptions;
  /** The live phase: one notifier, recipients subscribed to `notificationAdded`, a receiver for every webhook. */
  live: {
    sent: number;
    failedSends: number;
    /** Why sends failed, by error code (empty when none did). */
    failures: Record<string, number>;
    /** Notifications the recipients received live; and from the message's commit to that. */
    notifications: number;
    notificationLatency: LatencySummary;
    /**
     * The median split of that latency: from the message's commit to its notification's (the relay, RabbitMQ and the
     * worker), and from the notification's commit to the recipient (Redis, the gateway's live execution, the socket).
     */
    notificationLatencySplit: { toInbox: number; toRecipient: number };
    /**
     * Subscriptions the gateway ended (`error` frames), by code, all phases: a retryable one is resubscribed after
     * the last notification received (`afterId`), as the SDK does; the others end that recipient's stream.
     */
    subscriptionErrors: Record<string, number>;
    /**
     * Errors inside the notifications received, by code, all phases: a field the gateway could not fetch (the
     * message from the chats service) arrives as null with its error, and such a notification is not counted above.
     */
    notificationErrors: Record<string, number>;
    /**
     * CPU ms per message sent of each of our processes during the phase (gateway, subgraphs, notifier), of the load
     * generator and of the servers (PostgreSQL, Redis, RabbitMQ).
     */
    cpuMsPerMessage: Record<string, number>;
    /** How busy each CPU of the machine was during the phase, by anyone. */
    machineCpuBusyPercent: number[];
    /** Webhook deliveries the receiver got (distinct webhook-ids); and from the event's commit to that. */
    webhooks: number;
    webhookLatency: LatencySummary;
  };
  /** The drain phase: `backlog` messages sent while no notifier ran, then one worker started. */
  drain: DrainResult;
  /** A webhook worker alone (optional: older results lack it). */
  webhookWorker?: WebhookWorkerResult;
}

const SEND = `mutation($c: ID!, $t: String!, $k: String!) {
  sendMessage(chatId: $c, text: $t, clientMessageId: $k) { id } }`;
const NOTIFICATIONS = `subscription($after: ID) {
  notificationAdded(afterId: $after) { id kind createdAt message { id text createdAt } } }`;
/** Subscription errors after which a client resubscribes (with `afterId`: nothing is lost or doubled). */
const RETRYABLE = new Set(['SERVICE_UNAVAILABLE', 'SUBSCRIPTION_RESTART', 'SLOW_CONSUMER']);
const MAX_RESUBSCRIBES = 20;

/** A notification as the recipient receives it. */
interface Notified {
  id: string;
  createdAt: string;
  message: { text: string; createdAt: string } | null;
}

/** The code of a subscription's end: an `error` frame's first `extensions.code`, else the socket's close code. */
function errorCode(err: unknown): string {
  if (Array.isArray(err)) return String((err[0] as GraphQLFormattedError | undefined)?.extensions?.code ?? 'error');
  const close = err as { code?: unknown; message?: unknown };
  return close?.code !== undefined ? `close ${String(close.code)}` : String(close?.message ?? 'error');
}

/**
 * Scenario 6: the durable pipeline (relay → RabbitMQ → notifier → inbox and webhooks), through a gateway of ours.
 * Live phase: `rate` messages/s over direct chats; each makes one DIRECT_MESSAGE notification, received live by its
 * recipient (`notificationAdded`, latency from the message's commit), and one webhook delivery to a local receiver
 * (latency from the event's commit). Drain phase: with the notifier stopped, `backlog` messages are committed; one
 * worker is started and its rates are measured until it has stored every notification and delivered every webhook.
 * Webhook-worker phase: another backlog, queued by a relay-only worker, drained by a webhooks-only one (see
 * `pipelineDrain.ts`).
 */
export async function pipeline(
  stack: BenchStack,
  options: PipelineOptions,
  log: (line: string) => void,
): Promise<PipelineResult> {
  const gateway: RunningGateway =
    stack.gateways.find((g) => g.kind === 'chatgraph') ?? (await stack.startGateway('chatgraph', 'pipeline-gateway'));
  const receiver = new LatencyReceiver();
  const hookUrl = await receiver.start();
  const clients: Client[] = [];
  const notifierName = (n: number) => `pipeline-notifier-${n}`;
  let notifiers = 1;
  let notifier = await stack.startNotifier(notifierName(notifiers));
  let clientMessageIds = 0;
  /** Refused or failed sends, by error code. */
  const failures: Record<string, number> = {};
  // Sends go over keep-alive connections of node:http, like the other scenarios' load generators: `fetch` costs this
  // process about four times the CPU per request, on the machine the system under test runs on.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const sendUrl = new URL(gateway.url);
  const send = (pair: { sender: TestUser; chatId: string }, text: string) =>
    postGraphQL(
      agent,
      sendUrl,
      { authorization: `Bearer ${pair.sender.token}` },
      JSON.stringify({
        query: SEND,
        variables: { c: pair.chatId, t: text, k: `p${process.pid}-${clientMessageIds++}` },
      }),
    ).then((failure) => {
      if (failure === null) return true;
      const code = /"code":"([A-Z_]+)"/.exec(failure)?.[1] ?? failure.slice(0, 80);
      failures[code] = (failures[code] ?? 0) + 1;
      return false;
    });
  const pairs: Array<{ sender: TestUser; recipient: TestUser; chatId: string }> = [];
  /** Commits `options.backlog` messages (texts starting with `phase`) while no notifier runs; resolves with those sent. */
  const sendBacklog = async (phase: string) => {
    log(`  ${phase}: ${options.backlog} messages committed with no notifier running`);
    let next = 0;
    let failed = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < options.backlog) {
          const i = next++;
          if (!(await send(pairs[i % pairs.length]!, `${phase} ${i}`))) failed++;
        }
      }),
    );
    return options.backlog - failed;
  };
  try {
    for (let i = 0; i < options.pairs; i++) {
      const [sender, recipient] = [await signUp(gateway.url, 'Sender'), await signUp(gateway.url, 'Recipient')];
      const chat = await gatewayRequest<{ createDirectChat: { id: string } }>(
        gateway.url,
        sender.token,
        'mutation($u: ID!) { createDirectChat(userId: $u) { id } }',
        { u: recipient.id },
      );
      const chatId = chat.data?.createDirectChat.id;
      if (!chatId) throw new Error(`createDirectChat failed: ${JSON.stringify(chat.errors)}`);
      await createWebhookOnce(gateway.url, sender.token, hookUrl, chatId);
      pairs.push({ sender, recipient, chatId });
    }

    // Recipients subscribe; a warm-up message per chat shows every subscription is live.
    const latencies: number[] = [];
    const split: Array<[toInbox: number, toRecipient: number]> = [];
    const seen = new Set<string>();
    const subscriptionErrors: Record<string, number> = {};
    const notificationErrors: Record<string, number> = {};
    // Only the current phase's messages count (a warm-up notification arriving late must not count as a live one).
    let phase = 'warm-up';
    for (const pair of pairs) {
      const client = liveClient(gateway.wsUrl, pair.recipient.token);
      clients.push(client);
      let lastId: string | null = null;
      let resubscribes = 0;
      const subscribe = (): void => {
        client.subscribe<{ notificationAdded: Notified }>(
          { query: NOTIFICATIONS, variables: { after: lastId } },
          {
            next: (r) => {
              for (const e of r.errors ?? []) {
                const code = String(e.extensions?.code ?? 'error');
                notificationErrors[code] = (notificationErrors[code] ?? 0) + 1;
              }
              const n = r.data?.notificationAdded;
              if (!n) return;
              lastId = n.id;
              if (seen.has(n.id) || !(n.message?.text ?? '').startsWith(phase)) return;
              seen.add(n.id);
              if (!n.message) return;
              const committed = Date.parse(n.message.createdAt);
              latencies.push(Date.now() - committed);
              split.push([Date.parse(n.createdAt) - committed, Date.now() - Date.parse(n.createdAt)]);
            },
            error: (err) => {
              const code = errorCode(err);
              subscriptionErrors[code] = (subscriptionErrors[code] ?? 0) + 1;
              if (RETRYABLE.has(code) && resubscribes++ < MAX_RESUBSCRIBES) setTimeout(subscribe, 250);
            },
            complete: () => undefined,
          },
        );
      };
      subscribe();
    }
    // The scenarios before this one wrote tens of thousands of events with no notifier running: the relay starts by
    // publishing them all and the workers by handling them. A running service is caught up; so is this one before
    // anything is measured.
    const caughtUp = await untilNotifierSettled(notifier);
    const settledInMs = await settleDatabases(stack.config);
    log(
      `  caught up with the log before the warm-up: ${caughtUp.published} events relayed, ${caughtUp.handled} handled; ` +
        `then the databases vacuumed and checkpointed in ${settledInMs} ms`,
    );
    for (let attempt = 0; ; attempt++) {
      const before = seen.size;
      await Promise.all(pairs.map((p) => send(p, 'warm-up')));
      if (await until(() => seen.size >= before + pairs.length, 5_000)) break;
      if (attempt === 5) throw new Error(`notificationAdded not live for every recipient (${seen.size - before})`);
    }
    await until(() => receiver.received >= seen.size, 10_000);
    latencies.length = 0;
    split.length = 0;
    seen.clear();
    receiver.reset();
    phase = 'live ';
    receiver.phase = phase;

    // Live phase: sends at the rate, on a fixed schedule (a slow response does not delay the next send).
    log(`  live: ${options.rate} messages/s for ${options.durationMs} ms over ${pairs.length} chats`);
    const total = Math.round((options.rate * options.durationMs) / 1000);
    // Ours, the servers', and this process's (the load generator, the recipients' sockets and the webhook receiver).
    const cpuNow = (): Record<string, number> => {
      const own = process.cpuUsage();
      return {
        ...cpuSecondsOf({ gateway: gateway.process, ...Object.fromEntries(stack.subgraphs), notifier }),
        'load generator': (own.user + own.system) / 1e6,
      };
    };
    type RelayCount = 'published' | 'reads' | 'heldBackReads';
    const relayCounts = async (): Promise<Record<RelayCount, number>> => {
      const { relays } = await notifierStats(notifier);
      const sum = (key: RelayCount) => relays.reduce((n, r) => n + r[key], 0);
      return { published: sum('published'), reads: sum('reads'), heldBackReads: sum('heldBackReads') };
    };
    const relaysBefore = await relayCounts();
    const cpuBefore = cpuNow();
    const machineBefore = cpuTimes();
    const started = Date.now();
    const sends: Array<Promise<boolean>> = [];
    while (sends.length < total) {
      const due = Math.min(total, Math.floor(((Date.now() - started) * options.rate) / 1000) + 1);
      while (sends.length < due) sends.push(send(pairs[sends.length % pairs.length]!, `live ${sends.length}`));
      await new Promise((r) => setTimeout(r, 5));
    }
    const ok = (await Promise.all(sends)).filter(Boolean).length;
    await until(() => seen.size >= ok && receiver.received >= ok, 30_000);
    const machineCpuBusyPercent = busyPercent(machineBefore, cpuTimes());
    const cpuAfter = cpuNow();
    const cpuMsPerMessage = Object.fromEntries(
      Object.keys(cpuAfter).map((k) => [k, round(((cpuAfter[k]! - cpuBefore[k]!) * 1000) / Math.max(1, ok), 2)]),
    );
    const live: PipelineResult['live'] = {
      sent: ok,
      failedSends: total - ok,
      failures: { ...failures },
      notifications: seen.size,
      notificationLatency: summarize(latencies),
      notificationLatencySplit: {
        toInbox: round(median(split.map((x) => x[0])), 1),
        toRecipient: round(median(split.map((x) => x[1])), 1),
      },
      subscriptionErrors,
      notificationErrors,
      cpuMsPerMessage,
      machineCpuBusyPercent,
      webhooks: receiver.received,
      webhookLatency: summarize(receiver.latencies),
    };
    if (ok < total) log(`  live: ${total - ok} sends failed: ${JSON.stringify(failures)}`);
    const relaysAfter = await relayCounts();
    const during = (key: RelayCount) => relaysAfter[key] - relaysBefore[key];
    log(
      `  live: the relays published ${during('published')} events in ${during('reads')} reads of the log, ` +
        `${during('heldBackReads')} of which found events held back behind an open transaction`,
    );
    log(
      `  live: CPU ms per message: ${Object.entries(cpuMsPerMessage)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}; machine CPUs busy ${machineCpuBusyPercent.join('/')}%`,
    );
    log(
      `  live: ${ok} sent, ${live.notifications} notifications p50 ${round(live.notificationLatency.p50, 1)} ms ` +
        `p99 ${round(live.notificationLatency.p99, 1)} ms (median ${live.notificationLatencySplit.toInbox} ms to the inbox, ` +
        `${live.notificationLatencySplit.toRecipient} ms from there to the recipient; subscription errors ` +
        `${JSON.stringify(subscriptionErrors)}, errors in notifications ${JSON.stringify(notificationErrors)}); ` +
        `${live.webhooks} webhooks p50 ` +
        `${round(live.webhookLatency.p50, 1)} ms p99 ${round(live.webhookLatency.p99, 1)} ms`,
    );
    for (const client of clients.splice(0)) await client.dispose();

    const phases: DrainPhases = {
      stack,
      receiver,
      sendBacklog,
      log,
      stopNotifier: () => stack.processes.stop(notifier.name, 'SIGTERM', 10_000).then(() => undefined),
      startNotifier: async (env = {}) => (notifier = await stack.startNotifier(notifierName(++notifiers), env)),
    };
    const drain = await drainOneWorker(phases);
    const webhookWorker = await drainWebhookWorker(phases);
    return { options, live, drain, webhookWorker };
  } finally {
    agent.destroy();
    for (const client of clients) await client.dispose();
    await stack.processes.stop(notifier.name, 'SIGTERM', 10_000).catch(() => undefined);
    await receiver.stop();
  }
}
