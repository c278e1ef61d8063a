import { badInput, userError } from '@chatgraph/errors';
import { RateLimit } from '@chatgraph/ratelimit';
import type { ChatsContext } from '../context';
import { messagePayload, type MessagePayload } from '../payloads';
import type { ChatView } from '../storage/records';
import { emojiArg, mentionedUsernames } from '../policy/MessageContent';
import { memberView } from './access';
import { assertNotBlocked } from '../users/UserDirectory';
import { clientMessageIdArg, idArg, idListArg, intArg, requireViewer, textArg, titleArg } from './args';

function primed(ctx: ChatsContext, view: ChatView): ChatView {
  ctx.loaders.primeView(view);
  return view;
}

/** The users a text names as `@username` (one call to the users subgraph, only when it names someone). */
async function mentionCandidates(ctx: ChatsContext, viewerId: bigint, text: string): Promise<bigint[]> {
  const names = mentionedUsernames(text);
  return names.length === 0 ? [] : ctx.stores.users.idsByUsernames(names, viewerId);
}

async function react(
  ctx: ChatsContext,
  args: { messageId: string; emoji: string },
  add: boolean,
): Promise<MessagePayload> {
  const viewerId = requireViewer(ctx.viewerId);
  const messageId = idArg(args.messageId, 'messageId');
  const emoji = emojiArg(args.emoji);
  const message = await ctx.stores.reactions.react(viewerId, messageId, emoji, add);
  ctx.loaders.reactions.clear(messageId);
  return messagePayload(message);
}

async function pin(ctx: ChatsContext, args: { messageId: string }, pinned: boolean): Promise<MessagePayload> {
  const viewerId = requireViewer(ctx.viewerId);
  const messageId = idArg(args.messageId, 'messageId');
  const message = await ctx.stores.messages.setPinned(viewerId, messageId, pinned);
  ctx.loaders.views.clear(message.chatId);
  ctx.loaders.pinned.clear(message.chatId);
  return messagePayload(message);
}

/** In a direct chat, BLOCKED when the other member blocked the sender (a group costs nothing once its kind is known). */
async function notBlockedInDirectChat(ctx: ChatsContext, chatId: bigint, viewerId: bigint): Promise<void> {
  const pair = await ctx.stores.directChats.pairOf(chatId);
  if (!pair || !pair.includes(viewerId)) return;
  await assertNotBlocked(
    ctx.stores.users,
    pair.filter((id) => id !== viewerId),
    viewerId,
    'chatId',
  );
}

/** Resolvers of `Mutation`: check the arguments, call the store, shape the result. */
export const Mutation = {
  async createDirectChat(_: unknown, args: { userId: string }, ctx: ChatsContext): Promise<ChatView> {
    const viewerId = requireViewer(ctx.viewerId);
    const otherId = idArg(args.userId, 'userId');
    if (otherId === viewerId) throw badInput('userId', 'A direct chat needs another user than yourself.');
    await ctx.stores.users.assertExist([otherId], 'userId', viewerId);
    await assertNotBlocked(ctx.stores.users, [otherId], viewerId, 'userId');
    const view = await ctx.stores.chats.createDirect(viewerId, otherId);
    ctx.stores.directChats.prime(view.chat.id, viewerId < otherId ? [viewerId, otherId] : [otherId, viewerId]);
    return primed(ctx, view);
  },

  async createGroupChat(
    _: unknown,
    args: { title: string; memberIds: string[] },
    ctx: ChatsContext,
  ): Promise<ChatView> {
    const viewerId = requireViewer(ctx.viewerId);
    const title = titleArg(args.title);
    const memberIds = idListArg(args.memberIds, 'memberIds', 0).filter((id) => id !== viewerId);
    await ctx.limits.membershipPerUser.takeOrThrow(viewerId.toString());
    await ctx.stores.users.assertExist(memberIds, 'memberIds', viewerId);
    await assertNotBlocked(ctx.stores.users, memberIds, viewerId, 'memberIds');
    const view = await ctx.stores.chats.createGroup(viewerId, title, memberIds);
    ctx.stores.directChats.prime(view.chat.id, null);
    return primed(ctx, view);
  },

  async addMembers(_: unknown, args: { chatId: string; userIds: string[] }, ctx: ChatsContext): Promise<ChatView> {
    const viewerId = requireViewer(ctx.viewerId);
    const chatId = idArg(args.chatId, 'chatId');
    const userIds = idListArg(args.userIds, 'userIds', 1);
    await ctx.limits.membershipPerUser.takeOrThrow(viewerId.toString());
    await ctx.stores.users.assertExist(userIds, 'userIds', viewerId);
    await assertNotBlocked(ctx.stores.users, userIds, viewerId, 'userIds');
    return primed(ctx, await ctx.stores.memberships.addMembers(viewerId, chatId, userIds));
  },

  async removeMember(_: unknown, args: { chatId: string; userId: string }, ctx: ChatsContext): Promise<ChatView> {
    const viewerId = requireViewer(ctx.viewerId);
    const chatId = idArg(args.chatId, 'chatId');
    const userId = idArg(args.userId, 'userId');
    if (userId === viewerId) throw badInput('userId', 'To leave a chat use leaveChat.');
    return primed(ctx, await ctx.stores.memberships.removeMember(viewerId, chatId, userId));
  },

  async leaveChat(_: unknown, args: { chatId: string }, ctx: ChatsContext): Promise<boolean> {
    const viewerId = requireViewer(ctx.viewerId);
    const chatId = idArg(args.chatId, 'chatId');
    await ctx.stores.memberships.leave(viewerId, chatId);
    ctx.loaders.views.clear(chatId);
    return true;
  },

  async renameChat(_: unknown, args: { chatId: string; title: string }, ctx: ChatsContext): Promise<ChatView> {
    const viewerId = requireViewer(ctx.viewerId);
    const chatId = idArg(args.chatId, 'chatId');
    const title = titleArg(args.title);
    return primed(ctx, await ctx.stores.chats.rename(viewerId, chatId, title));
  },

  async sendMessage(
    _: unknown,
    args: { chatId: string; text: string; clientMessageId: string; replyToId?: string | null },
    ctx: ChatsContext,
  ): Promise<MessagePayload> {
    const viewerId = requireViewer(ctx.viewerId);
    const chatId = idArg(args.chatId, 'chatId');
    const text = textArg(args.text);
    const clientMessageId = clientMessageIdArg(args.clientMessageId);
    const replyToId = args.replyToId == null ? null : idArg(args.replyToId, 'replyToId');
    await RateLimit.takeAllOrThrow([
      [ctx.limits.messagesPerUser, viewerId.toString()],
      [ctx.limits.messagesPerChat, chatId.toString()],
    ]);
    const message = await notBlockedInDirectChat(ctx, chatId, viewerId)
      .then(() => mentionCandidates(ctx, viewerId, text))
      .then((candidates) =>
        ctx.stores.messages.sendAndPublish(chatId, viewerId, text, clientMessageId, {
          replyToId,
          mentionCandidates: candidates,
        }),
      )
      .catch(async (err: unknown) => {
        // Only members spend a chat's allowance: a refused send (not a member, no such chat) gives its point back,
        // so outsiders cannot silence a chat by sending to it.
        await ctx.limits.messagesPerChat.refund(chatId.toString());
        throw err;
      });
    ctx.loaders.views.clear(chatId);
    return messagePayload(message);
  },

  async editMessage(_: unknown, args: { messageId: string; text: string }, ctx: ChatsContext): Promise<MessagePayload> {
    const viewerId = requireViewer(ctx.viewerId);
    const messageId = idArg(args.messageId, 'messageId');
    const text = textArg(args.text);
    const message = await ctx.stores.messages.edit(
      viewerId,
      messageId,
      text,
      await mentionCandidates(ctx, viewerId, text),
    );
    ctx.loaders.views.clear(message.chatId);
    return messagePayload(message);
  },

  async deleteMessage(_: unknown, args: { messageId: string }, ctx: ChatsContext): Promise<MessagePayload> {
    const viewerId = requireViewer(ctx.viewerId);
    const messageId = idArg(args.messageId, 'messageId');
    const message = await ctx.stores.messages.delete(viewerId, messageId);
    ctx.loaders.views.clear(message.chatId);
    return messagePayload(message);
  },

  async addReaction(_: unknown, args: { messageId: string; emoji: string }, ctx: ChatsContext) {
    return react(ctx, args, true);
  },

  async removeReaction(_: unknown, args: { messageId: string; emoji: string }, ctx: ChatsContext) {
    return react(ctx, args, false);
  },

  async pinMessage(_: unknown, args: { messageId: string }, ctx: ChatsContext): Promise<MessagePayload> {
    return pin(ctx, args, true);
  },

  async unpinMessage(_: unknown, args: { messageId: string }, ctx: ChatsContext): Promise<MessagePayload> {
    return pin(ctx, args, false);
  },

  async banMember(_: unknown, args: { chatId: string; userId: string }, ctx: ChatsContext): Promise<ChatView> {
    const viewerId = requireViewer(ctx.viewerId);
    const chatId = idArg(args.chatId, 'chatId');
    const userId = idArg(args.userId, 'userId');
    if (userId === viewerId) throw badInput('userId', 'You cannot ban yourself; to leave a chat use leaveChat.');
    return primed(ctx, await ctx.stores.memberships.ban(viewerId, chatId, userId));
  },

  async unbanMember(_: unknown, args: { chatId: string; userId: string }, ctx: ChatsContext): Promise<ChatView> {
    const viewerId = requireViewer(ctx.viewerId);
    const chatId = idArg(args.chatId, 'chatId');
    const userId = idArg(args.userId, 'userId');
    return primed(ctx, await ctx.stores.memberships.unban(viewerId, chatId, userId));
  },

  async muteChat(_: unknown, args: { chatId: string; until?: Date | null }, ctx: ChatsContext): Promise<ChatView> {
    const viewerId = requireViewer(ctx.viewerId);
    const chatId = idArg(args.chatId, 'chatId');
    const until = args.until ?? null;
    if (until !== null && until.getTime() <= Date.now()) throw badInput('until', 'until must be in the future.');
    return primed(ctx, await ctx.stores.memberships.mute(viewerId, chatId, until));
  },

  async unmuteChat(_: unknown, args: { chatId: string }, ctx: ChatsContext): Promise<ChatView> {
    const viewerId = requireViewer(ctx.viewerId);
    return primed(ctx, await ctx.stores.memberships.unmute(viewerId, idArg(args.chatId, 'chatId')));
  },

  async markRead(_: unknown, args: { chatId: string; seq: number }, ctx: ChatsContext): Promise<ChatView> {
    const viewerId = requireViewer(ctx.viewerId);
    const chatId = idArg(args.chatId, 'chatId');
    const seq = intArg(args.seq, 'seq', 0, 2_147_483_647, 0);
    const { moved, ...view } = await ctx.stores.memberships.markRead(viewerId, chatId, seq);
    // Ephemeral: the other members' receipts and the reader's other devices (unread counts in step).
    if (moved) await ctx.stores.publisher.publishReadReceipt(chatId, viewerId, seq, view.unreadCount ?? 0, new Date());
    return primed(ctx, view);
  },

  async setTyping(_: unknown, args: { chatId: string; typing: boolean }, ctx: ChatsContext): Promise<boolean> {
    const viewerId = requireViewer(ctx.viewerId);
    const chatId = idArg(args.chatId, 'chatId');
    await memberView(ctx, chatId);
    const decision = await ctx.typing.check(viewerId, chatId, args.typing);
    if (decision.action === 'reject') {
      throw userError('RATE_LIMITED', `Too many typing updates; try again in ${decision.retryAfterMs} ms.`, {
        retryAfterMs: decision.retryAfterMs,
      });
    }
    if (args.typing) ctx.typingExpiry.renew(chatId, viewerId);
    else ctx.typingExpiry.cancel(chatId, viewerId);
    if (decision.action === 'publish')
      await ctx.stores.publisher.publishTyping(chatId, viewerId, args.typing, new Date());
    return true;
  },
};
