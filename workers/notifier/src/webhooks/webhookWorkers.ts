import type { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { Config } from '@chatgraph/config';
import type { ChatsClient, NotificationsClient, ShardedDatabase } from '@chatgraph/db';
import type { EgressGuard } from '@chatgraph/egress';
import type { Logger } from '@chatgraph/logging';
import { WebhookDeliveryLog, WebhookStore } from '@chatgraph/notifications';
import { QueueConsumer } from '../amqp/QueueConsumer';
import type { Topology } from '../amqp/Topology';
import { parseRelayedEvent, type RelayedEvent } from '../relay/RelayedEvent';
import { BatchedDeliveryLog } from './BatchedDeliveryLog';
import { ChatMemberStates } from '../inbox/ChatFeatureFilters';
import { DeliveryHandler, type WebhookOutcome } from './DeliveryHandler';
import { parseDeliveryJob, type DeliveryJob } from './DeliveryJob';
import { RedeliveryScanner } from './RedeliveryScanner';
import { WebhookFanout } from './WebhookFanout';
import { WebhookSender } from './WebhookSender';
import { WebhookSettings } from './WebhookSettings';

/** What {@link webhookWorkers} needs from the notifier. */
export interface WebhookWorkersDeps {
  config: Config;
  connection: AmqpConnectionManager;
  publisher: ChannelWrapper;
  topology: Topology;
  chats: ShardedDatabase<ChatsClient>;
  notifications: ShardedDatabase<NotificationsClient>;
  egress: EgressGuard;
  logger: Logger;
  /** Told how each delivery attempt ended. */
  onOutcome?: (outcome: WebhookOutcome) => void;
}

/** The webhook side of a notifier: its two consumers and the redelivery scanner. */
export interface WebhookWorkers {
  consumers: [QueueConsumer<RelayedEvent>, QueueConsumer<DeliveryJob>];
  scanner: RedeliveryScanner;
}

/**
 * Builds the webhook pipeline of one notifier: chat events → deliveries (the `webhooks` queue), deliveries → signed
 * POSTs with retries on the webhook schedule (the `deliveries` queue, `WEBHOOK_PREFETCH` at once), and the scanner of
 * redelivery requests.
 */
export function webhookWorkers(deps: WebhookWorkersDeps): WebhookWorkers {
  const { config, connection, publisher, topology, logger } = deps;
  const log = new WebhookDeliveryLog(deps.notifications);
  // The statements of the messages handled at the same time are shared (at most a prefetch window's worth each).
  const batchedLog = new BatchedDeliveryLog(log, Math.max(config.NOTIFIER_PREFETCH, config.WEBHOOK_PREFETCH));
  const store = new WebhookStore(deps.notifications);
  const settings = new WebhookSettings(store, config.WEBHOOK_CACHE_MS);
  const fanout = new WebhookFanout({
    log: batchedLog,
    settings,
    store,
    members: new ChatMemberStates(deps.chats),
    publisher,
    workExchange: topology.workExchange,
    queue: topology.deliveries,
    logger,
  });
  const deliveries = new DeliveryHandler({
    log: batchedLog,
    settings,
    sender: new WebhookSender({ egress: deps.egress, timeoutMs: config.WEBHOOK_TIMEOUT_MS }),
    retryDelaysMs: config.WEBHOOK_RETRY_SCHEDULE_MS,
    logger,
    onOutcome: deps.onOutcome,
  });
  return {
    consumers: [
      new QueueConsumer<RelayedEvent>({
        connection,
        topology,
        queue: topology.webhooks,
        prefetch: config.NOTIFIER_PREFETCH,
        publisher,
        parse: parseRelayedEvent,
        handle: async (event) => void (await fanout.handle(event)),
        logger,
      }),
      new QueueConsumer<DeliveryJob>({
        connection,
        topology,
        queue: topology.deliveries,
        prefetch: config.WEBHOOK_PREFETCH,
        publisher,
        parse: parseDeliveryJob,
        handle: (job, retries) => deliveries.handle(job, retries),
        logger,
      }),
    ],
    scanner: new RedeliveryScanner({
      log,
      shards: deps.notifications.size,
      publisher,
      workExchange: topology.workExchange,
      queue: topology.deliveries,
      pollMs: config.WEBHOOK_REDELIVER_POLL_MS,
      logger,
    }),
  };
}
