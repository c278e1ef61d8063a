import { badInput } from '@chatgraph/errors';
import type { ChatsContext } from '../context';
import { EventLog } from '../storage/EventLog';
import { chatEventPayload, type ChatEventPayload } from '../payloads';
import type { ChatView } from '../storage/records';
import { memberView } from './access';
import { idArg, idListArg, intArg, requireViewer } from './args';
import { myChats } from './myChats';

/** Most users one `sharesChatWith` call asks about (presence's largest `presenceChanged` list). */
const MAX_CONTACT_CHECKS = 500;

/** Resolvers of `Query`. */
export const Query = {
  async chat(_: unknown, args: { id: string }, ctx: ChatsContext): Promise<ChatView> {
    requireViewer(ctx.viewerId);
    return memberView(ctx, idArg(args.id, 'id'), 'id');
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
    return events.map(chatEventPayload);
  },

  /** Internal (presence): those of `userIds` sharing a chat with the viewer; nobody for an anonymous viewer. */
  async sharesChatWith(_: unknown, args: { userIds: readonly string[] }, ctx: ChatsContext): Promise<string[]> {
    const userIds = idListArg(args.userIds, 'userIds', 0, MAX_CONTACT_CHECKS);
    if (ctx.viewerId === null) return [];
    const shared = await ctx.stores.contacts.sharingAChat(requireViewer(ctx.viewerId), userIds);
    return shared.map(String);
  },

  async canReadChat(_: unknown, args: { chatId: string }, ctx: ChatsContext): Promise<boolean> {
    if (ctx.viewerId === null) return false;
    const chatId = idArg(args.chatId, 'chatId');
    const view = await ctx.loaders.views.load(chatId);
    return view?.membership != null;
  },
};
