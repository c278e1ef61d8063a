import type { StackProcess } from '@chatgraph/testing';
import { notifierStats, type BenchStack } from '../BenchStack';
import { busyPercent, cpuTimes } from '../machineCpu';
import { processSample } from '../processSample';
import { round } from '../stats';
import type { LatencyReceiver } from './webhookEndpoint';

/** One worker draining a backlog it found waiting: its notification and webhook rates. */
export interface DrainResult {
  events: number;
  /** Seconds from the worker's connection to the last notification stored, and to the last webhook received. */
  notificationSeconds: number;
  webhookSeconds: number;
  notificationsPerSecond: number;
  webhookDeliveriesPerSecond: number;
  /** TCP connections the worker opened to the webhook endpoint while draining (optional: older results lack it). */
  webhookConnections?: number;
}

/**
 * A webhook worker (`NOTIFIER_ROLES=webhooks`) draining a backlog of `events` chat events another worker relayed:
 * fan-out (routes, delivery rows, delivery jobs) and the signed POSTs, from its connection to the last webhook
 * received.
 */
export interface WebhookWorkerResult {
  events: number;
  seconds: number;
  deliveriesPerSecond: number;
  connections: number;
  /** The worker's CPU time per delivery over those seconds (its JavaScript thread and V8's and libuv's threads). */
  cpuMsPerDelivery: number;
  /** How busy each CPU of the machine was meanwhile, by anyone (RabbitMQ, PostgreSQL and the receiver share them). */
  machineCpuBusyPercent: number[];
}

/** What the drain phases share with the scenario. */
export interface DrainPhases {
  stack: BenchStack;
  receiver: LatencyReceiver;
  /** Commits a backlog (texts starting with `phase`) while no notifier runs; resolves with the messages sent. */
  sendBacklog(phase: string): Promise<number>;
  log(line: string): void;
  /** Stops the scenario's running notifier. */
  stopNotifier(): Promise<void>;
  /** Starts the scenario's next notifier, with `env` (its roles); resolves with it once connected to RabbitMQ. */
  startNotifier(env?: Record<string, string>): Promise<StackProcess>;
}

/** Polls `done` every 50 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function until(done: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/**
 * A backlog committed while no worker runs, then one worker with every role (relay, inbox, webhooks), timed until it
 * stored every notification and delivered every webhook.
 */
export async function drainOneWorker(phases: DrainPhases): Promise<DrainResult> {
  const { stack, receiver, sendBacklog, log } = phases;
  await phases.stopNotifier();
  receiver.reset();
  receiver.phase = 'backlog ';
  const events = await sendBacklog('backlog');
  const notifier = await phases.startNotifier();
  const t0 = Date.now();
  const inboxQueue = `${stack.amqp.prefix}.notify.inbox`;
  let notificationsDone = 0;
  let webhooksDone = 0;
  const drained = await until(async () => {
    const stats = await notifierStats(notifier);
    if (!notificationsDone && (stats.consumers[inboxQueue]?.handled ?? 0) >= events) notificationsDone = Date.now();
    if (!webhooksDone && receiver.received >= events) webhooksDone = Date.now();
    return notificationsDone > 0 && webhooksDone > 0;
  }, 120_000);
  if (!drained) throw new Error(`the worker did not drain ${events} events in 120 s`);
  const notificationSeconds = (notificationsDone - t0) / 1000;
  const webhookSeconds = (webhooksDone - t0) / 1000;
  const drain: DrainResult = {
    events,
    notificationSeconds: round(notificationSeconds, 2),
    webhookSeconds: round(webhookSeconds, 2),
    notificationsPerSecond: Math.round(events / notificationSeconds),
    webhookDeliveriesPerSecond: Math.round(events / webhookSeconds),
    webhookConnections: receiver.connections,
  };
  log(
    `  drain: one worker, ${events} events: ${drain.notificationsPerSecond} notifications/s, ` +
      `${drain.webhookDeliveriesPerSecond} webhook deliveries/s over ${drain.webhookConnections} connections`,
  );
  return drain;
}

/**
 * A webhook worker alone: a backlog committed while no worker runs, queued by a relay-only worker, then drained by a
 * webhooks-only worker, timed (with its CPU) until the last webhook is received.
 */
export async function drainWebhookWorker(phases: DrainPhases): Promise<WebhookWorkerResult> {
  const { receiver, sendBacklog, log } = phases;
  await phases.stopNotifier();
  receiver.reset();
  receiver.phase = 'hooks ';
  const sent = await sendBacklog('hooks');
  const relay = await phases.startNotifier({ NOTIFIER_ROLES: 'relay' });
  const relayed = await until(async () => {
    const stats = await notifierStats(relay);
    return stats.relays.reduce((sum, r) => sum + r.published, 0) >= sent;
  }, 120_000);
  if (!relayed) throw new Error(`the relay did not publish ${sent} events in 120 s`);
  await phases.stopNotifier();
  const worker = await phases.startNotifier({ NOTIFIER_ROLES: 'webhooks' });
  const t0 = Date.now();
  const cpu0 = processSample(worker).cpuSeconds;
  const machine0 = cpuTimes();
  if (!(await until(() => receiver.received >= sent, 120_000)))
    throw new Error(`the webhook worker did not deliver ${sent} events in 120 s`);
  const seconds = (Date.now() - t0) / 1000;
  const result: WebhookWorkerResult = {
    events: sent,
    seconds: round(seconds, 2),
    deliveriesPerSecond: Math.round(sent / seconds),
    connections: receiver.connections,
    cpuMsPerDelivery: round(((processSample(worker).cpuSeconds - cpu0) * 1000) / sent, 3),
    machineCpuBusyPercent: busyPercent(machine0, cpuTimes()),
  };
  log(
    `  webhook worker alone, ${sent} events: ${result.deliveriesPerSecond} deliveries/s over ` +
      `${result.connections} connections; worker CPU ${result.cpuMsPerDelivery} ms per delivery; ` +
      `machine CPUs busy ${result.machineCpuBusyPercent.join('/')}%`,
  );
  return result;
}
