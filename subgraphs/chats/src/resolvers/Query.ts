import { badInput } from '@chatgraph/errors';
import type { ChatsContext } from '../context';
import { EventLog } from '../storage/EventLog';
import { chatEventPayload, messagePayload, type ChatEventPayload, type MessagePayload } from '../payloads';
import { searchQueryArg } from '../policy/MessageContent';
import { connection } from './connection';
import { parseSearchCursor, searchCursor } from './cursors';
import type { ChatView } from '../storage/records';
import { memberView } from './access';
import { idArg, idListArg, intArg, requireViewer } from './args';
import { Message } from './Message';
import { myChats } from './myChats';

/** Largest page of `searchMessages`, and its default. */
const MAX_SEARCH_PAGE = 50;
const DEFAULT_SEARCH_PAGE = 20;

/** Most users one `sharesChatWith` call asks about (presence's largest `presenceChanged` list). */
const MAX_CONTACT_CHECKS = 500;

/** Resolvers of `Query`. */
export const Query = {
  async chat(_: unknown, args: { id: string }, ctx: ChatsContext): Promise<ChatView> {
    requireViewer(ctx.viewerId);
    return memberView(ctx, idArg(args.id, 'id'), 'id');
  },

  message(_: unknown, args: { id: string }, ctx: ChatsContext): Promise<MessagePayload> {
    return Message.__resolveReference({ id: args.id }, ctx);
  },

  myChats(_: unknown, args: { first?: number | null; after?: string | null }, ctx: ChatsContext) {
    return myChats(ctx, requireViewer(ctx.viewerId), args);
  },

  async chatEventsSince(
    _: unknown,
    args: { chatId: string; afterSeq: number; limit?: number | null },
    ctx: ChatsContext,
  ): Promise<ChatEventPayload[]> {
    requireViewer(ctx.viewerId);
    const chatId = idArg(args.chatId, 'chatId');
    const limit = intArg(args.limit, 'limit', 1, 500, 100);
    if (args.afterSeq < 0) throw badInput('afterSeq', 'afterSeq must be 0 or more.');
    const view = await memberView(ctx, chatId);
    if (args.afterSeq > view.chat.lastSeq)
      throw badInput('afterSeq', `afterSeq ${args.afterSeq} is beyond the chat's last seq ${view.chat.lastSeq}.`);
    const events = await EventLog.since(ctx.stores.db.clientFor(chatId), chatId, args.afterSeq, limit);
    return events.map((e) => chatEventPayload(e));
  },

  /** Internal (presence): those of `userIds` sharing a chat with the viewer; nobody for an anonymous viewer. */
  async sharesChatWith(_: unknown, args: { userIds: readonly string[] }, ctx: ChatsContext): Promise<string[]> {
    const userIds = idListArg(args.userIds, 'userIds', 0, MAX_CONTACT_CHECKS);
    if (ctx.viewerId === null) return [];
    const shared = await ctx.stores.contacts.sharingAChat(requireViewer(ctx.viewerId), userIds);
    return shared.map(String);
  },

  async searchMessages(
    _: unknown,
    args: { query: string; chatId?: string | null; first?: number | null; after?: string | null },
    ctx: ChatsContext,
  ) {
    const viewerId = requireViewer(ctx.viewerId);
    const query = searchQueryArg(args.query);
    const limit = intArg(args.first, 'first', 0, MAX_SEARCH_PAGE, DEFAULT_SEARCH_PAGE);
    const beforeId = args.after == null ? null : parseSearchCursor(args.after);
    if (args.after != null && beforeId === null) throw badInput('after', 'after is not a cursor of this list.');
    const chatId = args.chatId == null ? null : idArg(args.chatId, 'chatId');
    if (chatId !== null) await memberView(ctx, chatId);
    const page = await ctx.stores.search.search({ viewerId, query, chatId, limit, beforeId });
    for (const m of page.messages) ctx.loaders.messages.prime(m.id, m);
    return connection<MessagePayload>(
      page.messages.map((m) => messagePayload(m)),
      (m) => searchCursor(BigInt(m.id)),
      { hasNextPage: page.hasMore, hasPreviousPage: beforeId !== null },
    );
  },

  async canReadChat(_: unknown, args: { chatId: string }, ctx: ChatsContext): Promise<boolean> {
    if (ctx.viewerId === null) return false;
    const chatId = idArg(args.chatId, 'chatId');
    const view = await ctx.loaders.views.load(chatId);
    return view?.membership != null;
  },
};
