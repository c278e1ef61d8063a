import { badInput, userError } from '@chatgraph/errors';
import type { NotificationsContext } from '../context';
import {
  WEBHOOK_EVENT_TYPES,
  type DeliveryRecord,
  type DeliveryStatus,
  type WebhookEventType,
  type WebhookRecord,
} from '../webhooks/records';
import { idArg, intArg, requireViewer } from './args';

/** Most webhooks one user may have. */
export const MAX_WEBHOOKS_PER_OWNER = 20;
/** Most chats one webhook covers. */
const MAX_CHATS_PER_WEBHOOK = 100;
/** Longest webhook URL. */
const MAX_URL_LENGTH = 2048;
const STATUSES: readonly DeliveryStatus[] = ['PENDING', 'DELIVERED', 'FAILED', 'DEAD'];

/** Opaque cursor of a delivery: base64 of `delivery:<id>`. */
function deliveryCursor(id: bigint): string {
  return Buffer.from(`delivery:${id}`, 'utf8').toString('base64');
}

function parseDeliveryCursor(cursor: string): bigint | null {
  if (cursor.length > 100 || !/^[A-Za-z0-9+/]+={0,2}$/.test(cursor)) return null;
  const m = /^delivery:([1-9]\d{0,18})$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  return m ? BigInt(m[1]!) : null;
}

/** `Query` fields of webhooks. */
export const webhookQueries = {
  myWebhooks(_: unknown, __: unknown, ctx: NotificationsContext): Promise<WebhookRecord[]> {
    return ctx.stores.webhooks.listOf(requireViewer(ctx.viewerId));
  },

  async webhook(_: unknown, args: { id: string }, ctx: NotificationsContext): Promise<WebhookRecord | null> {
    const viewer = requireViewer(ctx.viewerId);
    const found = await ctx.stores.webhooks.byId(idArg(args.id, 'id'));
    // Someone else's webhook is as unknown as a made-up id.
    return found && found.ownerId === viewer ? found : null;
  },
};

/** `Mutation` fields of webhooks. */
export const webhookMutations = {
  async createWebhook(
    _: unknown,
    args: { url: string; events: string[]; chatIds: string[] },
    ctx: NotificationsContext,
  ): Promise<{ webhook: WebhookRecord; secret: string }> {
    const ownerId = requireViewer(ctx.viewerId);
    if (args.url.length > MAX_URL_LENGTH) throw badInput('url', `url must be at most ${MAX_URL_LENGTH} characters.`);
    const events = [...new Set(args.events)].filter((e): e is WebhookEventType =>
      (WEBHOOK_EVENT_TYPES as readonly string[]).includes(e),
    );
    if (events.length === 0) throw badInput('events', 'Choose at least one event.');
    const chatIds = [...new Set(args.chatIds.map((id) => idArg(id, 'chatIds')))];
    if (chatIds.length === 0 || chatIds.length > MAX_CHATS_PER_WEBHOOK)
      throw badInput('chatIds', `chatIds must name 1 to ${MAX_CHATS_PER_WEBHOOK} chats (got ${chatIds.length}).`);
    const problem = await ctx.webhookTargets.problemWith(args.url);
    if (problem) throw badInput('url', `url ${problem}.`);
    const member = await ctx.memberships.memberOf(ownerId.toString(), chatIds.map(String));
    const outside = chatIds.filter((id) => !member.has(id.toString()));
    if (outside.length > 0)
      throw userError('FORBIDDEN', `You are not a member of chat ${outside[0]}: a webhook only covers your chats.`, {
        field: 'chatIds',
      });
    const webhook = await ctx.stores.webhooks.create(
      { ownerId, url: args.url, events, chatIds },
      MAX_WEBHOOKS_PER_OWNER,
    );
    if (!webhook) throw userError('LIMIT_EXCEEDED', `You have ${MAX_WEBHOOKS_PER_OWNER} webhooks already.`);
    return { webhook, secret: webhook.secret };
  },

  deleteWebhook(_: unknown, args: { id: string }, ctx: NotificationsContext): Promise<boolean> {
    return ctx.stores.webhooks.delete(requireViewer(ctx.viewerId), idArg(args.id, 'id'));
  },

  async redeliverWebhookDelivery(_: unknown, args: { id: string }, ctx: NotificationsContext): Promise<DeliveryRecord> {
    const viewer = requireViewer(ctx.viewerId);
    const delivery = await ctx.stores.webhooks.requestRedelivery(viewer, idArg(args.id, 'id'));
    if (!delivery) throw userError('NOT_FOUND', 'You have no webhook delivery with this id.', { field: 'id' });
    return delivery;
  },
};

/** Resolvers of `Webhook`. */
export const Webhook = {
  id: (w: WebhookRecord) => w.id.toString(),
  chatIds: (w: WebhookRecord) => w.chatIds.map(String),
  disabled: (w: WebhookRecord) => w.disabledAt !== null,
  async deliveries(
    w: WebhookRecord,
    args: { first?: number | null; after?: string | null; status?: string | null },
    ctx: NotificationsContext,
  ) {
    const limit = intArg(args.first, 'first', 1, 100, 20);
    const beforeId = args.after == null ? null : parseDeliveryCursor(args.after);
    if (args.after != null && beforeId === null)
      throw badInput('after', 'after is not a cursor of this list (use pageInfo.endCursor).');
    const status = STATUSES.find((s) => s === args.status) ?? null;
    const page = await ctx.stores.webhooks.deliveries(w.id, { limit, beforeId, status });
    const edges = page.deliveries.map((node) => ({ cursor: deliveryCursor(node.id), node }));
    return {
      nodes: page.deliveries,
      edges,
      pageInfo: {
        hasNextPage: page.hasMore,
        hasPreviousPage: beforeId !== null,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
    };
  },
};

/** Resolvers of `WebhookDelivery`. */
export const WebhookDelivery = {
  id: (d: DeliveryRecord) => d.id.toString(),
};
