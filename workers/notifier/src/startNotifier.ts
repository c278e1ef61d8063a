import amqp from 'amqp-connection-manager';
import { AMQP_SOCKET_OPTIONS } from './amqp/socketOptions';
import { coalesceFrameWrites } from './amqp/coalesceFrameWrites';
import type { Channel } from 'amqplib';
import { identitySignerFromConfig } from '@chatgraph/auth';
import { replicaUrls, type Config } from '@chatgraph/config';
import {
  createChatsDatabase,
  createNotificationsDatabase,
  createUsersDatabase,
  databaseUrl,
  followTopology,
} from '@chatgraph/db';
import type { Logger } from '@chatgraph/logging';
import {
  EmailLinks,
  MissedMessageBatches,
  NotificationInbox,
  NotificationStore,
  PreferenceStore,
  PushSubscriptionStore,
} from '@chatgraph/notifications';
import { createPresenceRedis, PresenceStore } from '@chatgraph/presence';
import { CachedBlockList, RedisEventBus, redisLocation } from '@chatgraph/pubsub';
import { egressGuardFromConfig } from '@chatgraph/egress';
import { createAdminServer, registerDatabaseMetrics, SubgraphClient, type RunningService } from '@chatgraph/service';
import { NotifierMetrics } from './metrics/NotifierMetrics';
import { QueueConsumer } from './amqp/QueueConsumer';
import { Topology } from './amqp/Topology';
import { UsersEmailRecipients } from './email/EmailRecipients';
import { EmailTemplates } from './email/EmailTemplates';
import { EmailWorker } from './email/EmailWorker';
import { mailerFromConfig } from './email/Mailer';
import { MissedMessageEmails } from './email/MissedMessageEmails';
import { VerificationEmails } from './email/VerificationEmails';
import { VerificationQueue } from './email/VerificationQueue';
import { BatchedInbox } from './inbox/BatchedInbox';
import { InboxHandler, type PushJob } from './inbox/InboxHandler';
import { ChatMemberStates, StoredMentions, UsersBlockList } from './inbox/ChatFeatureFilters';
import { parsePushJob, PushHandler } from './push/PushHandler';
import { WebPushSender } from './push/WebPushSender';
import { parseRelayedEvent, type RelayedEvent } from './relay/RelayedEvent';
import { RelayWakeups } from './relay/RelayWakeups';
import { ShardRelay } from './relay/ShardRelay';
import type { DeliveryJob } from './webhooks/DeliveryJob';
import { webhookWorkers } from './webhooks/webhookWorkers';

/** The cursor name of the relay feeding the notification pipeline. */
export const RELAY_NAME = 'notifications';

/** A running notifier process. */
export interface Notifier extends RunningService {
  /** The admin port it listens on. */
  port: number;
}

/**
 * Starts a notifier worker with the roles `NOTIFIER_ROLES` names (all by default): `relay`, a standby relay for every
 * chats shard (the one holding a shard's lock relays it); `inbox`, the inbox consumer (events → notifications, live
 * publish, push jobs); `push`, when VAPID keys are configured, the push consumer; `webhooks`, the webhook consumers
 * and redelivery scanner; `email`, the email scans (verification and missed-message emails). Every worker has the
 * admin port. It starts while RabbitMQ is down and connects when it comes (every channel declares the topology again
 * on each connect). `close()` stops the relays, then the consumers (waiting for the messages in hand), then closes
 * RabbitMQ, Redis and the databases.
 */
export async function startNotifier(config: Config, logger: Logger): Promise<Notifier> {
  const roles = config.NOTIFIER_ROLES;
  const topology = new Topology({
    prefix: config.AMQP_PREFIX,
    retryDelaysMs: config.NOTIFIER_RETRY_DELAYS_MS,
    deliveryLimit: config.NOTIFIER_DELIVERY_LIMIT,
    webhookRetryDelaysMs: config.WEBHOOK_RETRY_SCHEDULE_MS,
  });
  // Webhooks and Web Push call URLs users gave: only allowed addresses, checked at every connection.
  const egress = egressGuardFromConfig(config);
  const chats = createChatsDatabase(config);
  const notificationsDb = createNotificationsDatabase(config);
  // The users shards' verification-email outbox (as the chats shards' event log).
  const usersDb = createUsersDatabase(config);
  // Where each shard lives (the stored topology), followed without a restart; a moved chats shard's relay reconnects.
  const followed = await followTopology(
    config,
    [
      { service: 'chats', db: chats },
      { service: 'notifications', db: notificationsDb },
      { service: 'users', db: usersDb },
    ],
    logger,
  );
  const bus = new RedisEventBus({ ...redisLocation(config), logger });

  const connection = amqp.connect([config.AMQP_URL], {
    heartbeatIntervalInSeconds: 5,
    reconnectTimeInSeconds: 1,
    connectionOptions: AMQP_SOCKET_OPTIONS,
  });
  let amqpConnected = false;
  connection.on('connect', ({ connection: amqpConnection }) => {
    coalesceFrameWrites(amqpConnection);
    amqpConnected = true;
    logger.info('connected to RabbitMQ');
  });
  connection.on('disconnect', ({ err }) => {
    amqpConnected = false;
    logger.warn({ err: err?.message }, 'disconnected from RabbitMQ; reconnecting');
  });
  // A confirm channel: publish() resolves once the broker took the message (persisted and routed).
  const publisher = connection.createChannel({
    confirm: true,
    publishTimeout: 30_000,
    setup: (channel: Channel) => topology.assert(channel),
  });

  const inbox = new NotificationInbox(notificationsDb);
  const preferences = new PreferenceStore(notificationsDb);
  const identity = identitySignerFromConfig(config);
  const users = new SubgraphClient({ name: 'users', urls: replicaUrls(config.USERS_URL), identity });
  const pushEnabled =
    roles.has('push') && config.VAPID_PUBLIC_KEY !== undefined && config.VAPID_PRIVATE_KEY !== undefined;
  if (roles.has('push') && !pushEnabled) logger.info('VAPID keys not set: Web Push is off');
  const metrics = new NotifierMetrics();
  // Block answers are kept until the users service announces a change (or NOTIFIER_BLOCK_CACHE_MS passes).
  const blocks = new CachedBlockList({
    source: new UsersBlockList(users),
    channels: bus.channels,
    namespace: config.DB_NAME_PREFIX,
    ttlMs: config.NOTIFIER_BLOCK_CACHE_MS,
    logger,
    onLookup: (result) => metrics.blockLookup(result),
  });
  const mutes = new ChatMemberStates(chats);
  const inboxHandler = new InboxHandler({
    // The events of a prefetch window are added together (one statement per notifications shard).
    inbox: new BatchedInbox(inbox, config.NOTIFIER_PREFETCH),
    // Mentions as the chats service resolved them when the message was sent (members named as @username then).
    mentions: new StoredMentions(chats),
    blocks,
    mutes,
    bus,
    push: pushEnabled ? { publisher, workExchange: topology.workExchange, queue: topology.push } : undefined,
  });
  const webhooks = roles.has('webhooks')
    ? webhookWorkers({
        config,
        connection,
        publisher,
        topology,
        chats,
        notifications: notificationsDb,
        egress,
        logger,
        onOutcome: (outcome) => metrics.webhookOutcome(outcome),
      })
    : undefined;
  const consumers: Array<QueueConsumer<RelayedEvent> | QueueConsumer<PushJob> | QueueConsumer<DeliveryJob>> = [
    ...(webhooks?.consumers ?? []),
  ];
  if (roles.has('inbox'))
    consumers.push(
      new QueueConsumer<RelayedEvent>({
        connection,
        topology,
        queue: topology.inbox,
        prefetch: config.NOTIFIER_PREFETCH,
        publisher,
        parse: parseRelayedEvent,
        handle: async (event) => void (await inboxHandler.handle(event)),
        logger,
      }),
    );
  // Web Push asks whether the recipient is online (the presence store): the only role with a presence connection.
  const presenceRedis = pushEnabled ? createPresenceRedis(redisLocation(config), logger) : undefined;
  if (presenceRedis) {
    const presence = new PresenceStore({ redis: presenceRedis, ttlMs: config.PRESENCE_TTL_SECONDS * 1000 });
    const pushHandler = new PushHandler({
      notifications: new NotificationStore(notificationsDb),
      inbox,
      preferences,
      subscriptions: new PushSubscriptionStore(notificationsDb),
      presence: { isOnline: async (userId) => (await presence.read([userId.toString()]))[0]?.status === 'ONLINE' },
      sender: new WebPushSender({
        publicKey: config.VAPID_PUBLIC_KEY!,
        privateKey: config.VAPID_PRIVATE_KEY!,
        subject: config.VAPID_SUBJECT,
        timeoutMs: config.PUSH_TIMEOUT_MS,
        egress,
      }),
      logger,
    });
    consumers.push(
      new QueueConsumer<PushJob>({
        connection,
        topology,
        queue: topology.push,
        prefetch: config.NOTIFIER_PREFETCH,
        publisher,
        parse: parsePushJob,
        handle: (job) => pushHandler.handle(job),
        logger,
      }),
    );
  }
  // Emails: verification links and missed-message emails, through one mailer (SMTP, or the log without SMTP_URL).
  const mailer = mailerFromConfig(config, logger);
  const emailLinks = EmailLinks.fromConfig(config);
  const templates = new EmailTemplates();
  const recipients = new UsersEmailRecipients(users);
  const notificationShards = notificationsDb.size;
  const email = roles.has('email')
    ? new EmailWorker(
        new VerificationEmails({
          queue: new VerificationQueue(usersDb),
          recipients,
          links: emailLinks,
          templates,
          mailer,
          logger,
          leaseMs: config.EMAIL_CLAIM_LEASE_MS,
          ttlHours: config.EMAIL_VERIFY_TTL_HOURS,
          messageIdDomain: config.EMAIL_MESSAGE_ID_DOMAIN,
        }),
        new MissedMessageEmails({
          batches: new MissedMessageBatches(notificationsDb, config.EMAIL_MESSAGE_ID_DOMAIN),
          preferences,
          chats,
          recipients,
          blocks,
          mutes,
          links: emailLinks,
          templates,
          mailer,
          logger,
          shards: notificationShards,
          delayMs: config.EMAIL_DELAY_MS,
          leaseMs: config.EMAIL_CLAIM_LEASE_MS,
          retentionDays: config.EMAIL_LOG_RETENTION_DAYS,
        }),
        config.EMAIL_SCAN_MS,
      )
    : undefined;
  const relays = (roles.has('relay') ? chats.map.shards : []).map(
    (shard) =>
      new ShardRelay({
        databaseUrl: () => databaseUrl(chats.urlAt(shard.index), shard.database),
        shard: shard.database,
        relay: RELAY_NAME,
        publisher,
        topology,
        logger,
        batchSize: config.RELAY_BATCH_SIZE,
        pollMs: config.RELAY_POLL_MS,
        lockRetryMs: config.RELAY_LOCK_RETRY_MS,
        cursorWriteMs: config.RELAY_CURSOR_WRITE_MS,
      }),
  );
  // Committed events announced on Redis wake the relays (they still poll, in case a hint is lost).
  const wakeups =
    relays.length > 0 ? new RelayWakeups(bus.channels, relays, (chatId) => chats.shardFor(chatId).database) : undefined;
  // The block answers serve the inbox and the missed-message emails.
  const usesBlocks = roles.has('inbox') || roles.has('email');

  let draining = false;
  // Queue depths are asked on a channel of their own: a failed check closes its channel, never the publisher's.
  const inspector = connection.createChannel({ setup: () => undefined });
  metrics.watch({
    consumers,
    relays,
    queues: topology.queues.flatMap((q) => [q.name, q.dlq]),
    channel: inspector,
    connected: () => amqpConnected,
    logger,
  });
  registerDatabaseMetrics(metrics.process, chats, notificationsDb);
  // A worker takes no traffic: its one port is the admin server every process has (/health, /ready, /metrics, /stats).
  const admin = createAdminServer({
    name: 'notifier',
    logger,
    metrics: metrics.process,
    probes: {
      live: () => !draining,
      ready: async () => !draining && amqpConnected,
      stats: () => ({
        amqpConnected,
        roles: [...roles],
        relays: relays.map((r) => r.status()),
        consumers: Object.fromEntries(consumers.map((c) => [c.queue, c.stats])),
        push: pushEnabled,
        email: email?.stats() ?? null,
      }),
    },
  });
  await admin.listen(config.NOTIFIER_PORT, config.ADMIN_HOST);
  const port = admin.port!;
  for (const consumer of consumers) consumer.start();
  for (const relay of relays) relay.start();
  chats.onPlacementChange((index) => relays[index]?.reconnect());
  await wakeups?.start();
  if (usesBlocks) await blocks.start();
  webhooks?.scanner.start();
  email?.start();
  logger.info({ port, roles: [...roles], shards: relays.length, push: pushEnabled }, 'notifier started');

  return {
    port,
    async close() {
      draining = true;
      await wakeups?.stop();
      if (usesBlocks) await blocks.stop();
      await Promise.all(relays.map((r) => r.stop()));
      await webhooks?.scanner.stop();
      await email?.stop();
      mailer.close();
      await Promise.all(consumers.map((c) => c.stop()));
      egress.destroy();
      await publisher.close().catch(() => undefined);
      await inspector.close().catch(() => undefined);
      await connection.close().catch(() => undefined);
      await admin.close();
      await bus.close();
      await presenceRedis?.quit().catch(() => presenceRedis.disconnect());
      await followed.stop();
      await Promise.all([chats.close(), notificationsDb.close(), usersDb.close()]);
    },
  };
}
