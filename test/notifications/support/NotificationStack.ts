import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import amqplib from 'amqplib';
import {
  createTestDatabases,
  deletePipelineTopology,
  gatewayRequest,
  LOAD_RATE_LIMITS,
  ProcessStack,
  signUp,
  testConfig,
  waitUntil,
  type TestDatabases,
  type TestUser,
} from '@chatgraph/testing';

const ROOT = path.resolve(__dirname, '../../..');
const DLQ_CLI = path.join(ROOT, 'workers/notifier/dist/cli/dlq.js');

/** Options of {@link NotificationStack.start}. */
export interface NotificationStackOptions {
  /** The broker (default: the machine's shared one, with a prefix of the test's own). */
  amqpUrl?: string;
  /** Notifier processes to start (named notifier-1, notifier-2, ...). @default 1 */
  notifiers?: number;
  /** Extra environment for every process. */
  env?: Record<string, string>;
}

/** What the notifier's admin /stats says. */
export interface NotifierStatus {
  amqpConnected: boolean;
  /** What the process does (`NOTIFIER_ROLES`). */
  roles: string[];
  relays: Array<{ shard: string; active: boolean; published: number; position: string | null }>;
  consumers: Record<string, { handled: number; retried: number; deadLettered: number; inFlight: number }>;
}

/** A notification as the tests read it through the gateway. */
export interface SeenNotification {
  id: string;
  seq: number;
  kind: string;
  chat: { id: string } | null;
  message: { id: string; text: string | null } | null;
  actor: { id: string; username: string };
  readAt: string | null;
}

export const NOTIFICATION_FIELDS = 'id seq kind chat { id } message { id text } actor { id username } readAt';

/**
 * Real processes for the notification pipeline: every subgraph, a gateway and notifier workers, on throwaway shard
 * databases, with a RabbitMQ prefix (exchanges and queues) of the test's own, deleted at the end. Helpers act as
 * users through the gateway.
 */
export class NotificationStack {
  private sent = 0;

  private constructor(
    readonly config: ReturnType<typeof testConfig>,
    readonly dbs: TestDatabases,
    readonly stack: ProcessStack,
    readonly amqpUrl: string,
    /** Prefix of the stack's exchanges and queues. */
    readonly prefix: string,
    /** The environment of its processes. */
    private readonly env: Record<string, string>,
  ) {}

  /** Starts the stack (databases migrated, processes up). */
  static async start(options: NotificationStackOptions = {}): Promise<NotificationStack> {
    const amqpUrl = options.amqpUrl ?? 'amqp://guest:guest@127.0.0.1:5672';
    const config = testConfig({ USERS_SHARDS: '1', CHATS_SHARDS: '2', NOTIFICATIONS_SHARDS: '2' });
    const dbs = await createTestDatabases(config);
    const prefix = `t${randomBytes(5).toString('hex')}`;
    const env = ProcessStack.envFor(config, {
      // A few thousand messages from one user in seconds: the pipeline is measured, not the limits.
      ...LOAD_RATE_LIMITS,
      AMQP_URL: amqpUrl,
      AMQP_PREFIX: prefix,
      NOTIFIER_RETRY_DELAYS_MS: '100,200',
      RELAY_POLL_MS: '20',
      RELAY_LOCK_RETRY_MS: '200',
      ...options.env,
    });
    const stack = new ProcessStack(env);
    const self = new NotificationStack(config, dbs, stack, amqpUrl, prefix, env);
    try {
      await stack.startSubgraphs();
      await stack.start('gateway', 'gateway');
      for (let i = 1; i <= (options.notifiers ?? 1); i++) await self.startNotifier(`notifier-${i}`);
    } catch (err) {
      await self.close();
      throw err;
    }
    return self;
  }

  /** The gateway's /graphql. */
  get gateway(): string {
    return this.stack.url('gateway');
  }

  /** Starts a notifier process (with `env` on top of the stack's) and waits until it is connected to RabbitMQ. */
  async startNotifier(name: string, env: Record<string, string> = {}): Promise<void> {
    // Email links point at the stack's notifications service (it answers them).
    const links = new URL(this.stack.url('notifications')).origin;
    await this.stack.start(name, 'notifier', undefined, { EMAIL_LINK_BASE_URL: links, ...env });
    await waitUntil(`${name} is connected to RabbitMQ`, async () => (await this.status(name)).amqpConnected);
  }

  /** Subscriptions the gateway holds as live (its admin /stats). */
  async liveSubscriptions(): Promise<number> {
    const res = await fetch(this.stack.adminUrl('gateway'));
    return ((await res.json()) as { subscriptions: { liveSubscriptions: number } }).subscriptions.liveSubscriptions;
  }

  /** A notifier's admin /stats. */
  async status(name: string): Promise<NotifierStatus> {
    const port = this.stack.processes.get(name)!.port;
    const res = await fetch(`http://127.0.0.1:${port}/stats`);
    return (await res.json()) as NotifierStatus;
  }

  /** Names of the notifier processes running. */
  get notifiers(): string[] {
    return [...this.stack.processes.values()].filter((p) => p.kind === 'notifier').map((p) => p.name);
  }

  /** A new user. */
  signUp(name: string): Promise<TestUser> {
    return signUp(this.gateway, name);
  }

  /** A GraphQL call through the gateway that must succeed; returns its data. */
  async call<T = Record<string, any>>(user: TestUser, query: string, variables: Record<string, unknown> = {}) {
    const res = await gatewayRequest<T>(this.gateway, user.token, query, variables);
    if (!res.data || res.errors?.length) throw new Error(`${query}: ${JSON.stringify(res.errors)}`);
    return res.data;
  }

  /** Creates a group chat; returns its id. */
  async createGroup(owner: TestUser, members: TestUser[]): Promise<string> {
    const data = await this.call<{ createGroupChat: { id: string } }>(
      owner,
      'mutation($m: [ID!]!) { createGroupChat(title: "notifications", memberIds: $m) { id } }',
      { m: members.map((m) => m.id) },
    );
    return data.createGroupChat.id;
  }

  /** The direct chat of two users; returns its id. */
  async createDirect(user: TestUser, other: TestUser): Promise<string> {
    const data = await this.call<{ createDirectChat: { id: string } }>(
      user,
      'mutation($u: ID!) { createDirectChat(userId: $u) { id } }',
      { u: other.id },
    );
    return data.createDirectChat.id;
  }

  /** Sends a message (a reply to `replyToId`, when given); returns its id. */
  async send(user: TestUser, chatId: string, text: string, replyToId: string | null = null): Promise<string> {
    const data = await this.call<{ sendMessage: { id: string } }>(
      user,
      `mutation($c: ID!, $t: String!, $m: String!, $r: ID) {
         sendMessage(chatId: $c, text: $t, clientMessageId: $m, replyToId: $r) { id } }`,
      { c: chatId, t: text, m: `n-${process.pid}-${this.sent++}`, r: replyToId },
    );
    return data.sendMessage.id;
  }

  /** Reacts to a message with an emoji. */
  async react(user: TestUser, messageId: string, emoji: string): Promise<void> {
    await this.call(user, 'mutation($m: ID!, $e: String!) { addReaction(messageId: $m, emoji: $e) { id } }', {
      m: messageId,
      e: emoji,
    });
  }

  /** The user's notifications, oldest first (all of them: pages of 100). */
  async notificationsOf(user: TestUser): Promise<SeenNotification[]> {
    const all: SeenNotification[] = [];
    let after: string | null = null;
    for (;;) {
      const data: {
        notifications: { nodes: SeenNotification[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
      } = await this.call(
        user,
        `query($after: String) { notifications(first: 100, after: $after) {
           nodes { ${NOTIFICATION_FIELDS} } pageInfo { hasNextPage endCursor } } }`,
        { after },
      );
      all.push(...data.notifications.nodes);
      if (!data.notifications.pageInfo.hasNextPage) break;
      after = data.notifications.pageInfo.endCursor;
    }
    return all.reverse();
  }

  /** The user's unread count. */
  async unreadCount(user: TestUser): Promise<number> {
    return (await this.call<{ unreadNotificationCount: number }>(user, '{ unreadNotificationCount }'))
      .unreadNotificationCount;
  }

  /** The events of the chats named (each chat's lastSeq, read by a member): how many the relays have to publish. */
  async eventCount(chats: ReadonlyArray<{ id: string; member: TestUser }>): Promise<number> {
    let total = 0;
    for (const chat of chats) {
      const data = await this.call<{ chat: { lastSeq: number } }>(
        chat.member,
        'query($c: ID!) { chat(id: $c) { lastSeq } }',
        { c: chat.id },
      );
      total += data.chat.lastSeq;
    }
    return total;
  }

  /** Messages waiting in a queue of this stack (by the name after the prefix, e.g. `notify.inbox.dlq`). */
  async queueDepth(name: string): Promise<number> {
    const connection = await amqplib.connect(this.amqpUrl);
    try {
      const channel = await connection.createChannel();
      const { messageCount } = await channel.checkQueue(`${this.prefix}.${name}`);
      await channel.close();
      return messageCount;
    } finally {
      await connection.close();
    }
  }

  /**
   * Waits until the pipeline is idle after `events` events: the relays (of every notifier running) published at least
   * that many, the inbox and its retry queues are empty and no notifier holds a message.
   */
  async waitForIdle(events: number, timeoutMs = 60_000): Promise<void> {
    await waitUntil(
      `the pipeline handled ${events} events`,
      async () => {
        const statuses = await Promise.all(this.notifiers.map((n) => this.status(n)));
        const published = statuses.flatMap((s) => s.relays).reduce((n, r) => n + r.published, 0);
        if (published < events) return false;
        if (statuses.some((s) => Object.values(s.consumers).some((c) => c.inFlight > 0))) return false;
        for (const q of ['notify.inbox', ...this.retryDelaysMs.map((ms, i) => `notify.inbox.retry${i + 1}.${ms}ms`)]) {
          if ((await this.queueDepth(q)) > 0) return false;
        }
        return true;
      },
      timeoutMs,
    );
  }

  /** Runs the DLQ CLI (`npm run dlq -- ...`) against this stack's broker and prefix. */
  dlq(...args: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [DLQ_CLI, ...args], {
      env: { ...process.env, AMQP_URL: this.amqpUrl, AMQP_PREFIX: this.prefix, NODE_ENV: 'test' },
      encoding: 'utf8',
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** The retry delays the notifiers were started with. */
  get retryDelaysMs(): number[] {
    return (this.env.NOTIFIER_RETRY_DELAYS_MS ?? '').split(',').map(Number);
  }

  /** The webhook retry schedule the notifiers were started with (their default when unset). */
  get webhookRetryDelaysMs(): number[] {
    return testConfig(
      this.env.WEBHOOK_RETRY_SCHEDULE_MS ? { WEBHOOK_RETRY_SCHEDULE_MS: this.env.WEBHOOK_RETRY_SCHEDULE_MS } : {},
    ).WEBHOOK_RETRY_SCHEDULE_MS;
  }

  /** Stops every process, drops the databases and deletes the stack's exchanges and queues. */
  async close(): Promise<void> {
    await this.stack.close();
    await this.dbs.drop();
    await deletePipelineTopology(this.amqpUrl, this.prefix, {
      inbox: this.retryDelaysMs,
      push: this.retryDelaysMs,
      webhooks: this.retryDelaysMs,
      deliveries: this.webhookRetryDelaysMs,
    }).catch(() => undefined);
  }
}
