import { userError } from '@chatgraph/errors';
import type { ChatsContext } from '../context';
import {
  messagePayload,
  reactionGroupPayload,
  type MessagePayload,
  type ReactionGroupPayload,
  type UserRef,
} from '../payloads';
import type { ChatView } from '../storage/records';
import { memberView } from './access';
import { idArg, intArg, requireViewer } from './args';
import { messagePage, type MessagesArgs } from './Chat';

/** A message the viewer may see (they see `m`, a message of the same chat), as a payload; null when unknown. */
async function sameChatMessage(ctx: ChatsContext, id: string | null): Promise<MessagePayload | null> {
  if (id === null) return null;
  const message = await ctx.loaders.messages.load(BigInt(id));
  return message && messagePayload(message);
}

/** Resolvers of `Message` (parent: its GraphQL-shaped payload; scalar fields resolve by name). */
export const Message = {
  async __resolveReference(ref: { id: unknown }, ctx: ChatsContext): Promise<MessagePayload> {
    requireViewer(ctx.viewerId);
    const id = idArg(ref.id, 'id');
    const message = await ctx.loaders.messages.load(id);
    if (!message) throw userError('NOT_FOUND', `There is no message with id ${id}.`, { field: 'id' });
    await memberView(ctx, message.chatId);
    return messagePayload(message);
  },
  chat(m: MessagePayload, _args: unknown, ctx: ChatsContext): Promise<ChatView> {
    return memberView(ctx, BigInt(m.chat.id));
  },
  replyTo: (m: MessagePayload, _args: unknown, ctx: ChatsContext) => sameChatMessage(ctx, m.replyToId),
  threadRoot: (m: MessagePayload, _args: unknown, ctx: ChatsContext) => sameChatMessage(ctx, m.threadRootId),
  /** One statement on the chat's shard per page (a range of the thread index). */
  replies(m: MessagePayload, args: MessagesArgs, ctx: ChatsContext) {
    return messagePage(args, ctx, (request) => ctx.stores.history.replies(BigInt(m.id), request));
  },
  /** Batched: the reactions of every message of a page in one statement per shard. */
  async reactions(m: MessagePayload, _args: unknown, ctx: ChatsContext): Promise<ReactionGroupPayload[]> {
    if (m.deleted) return [];
    return (await ctx.loaders.reactions.load(BigInt(m.id))).map(reactionGroupPayload);
  },
};

/** Resolvers of `ReactionGroup`. */
export const ReactionGroup = {
  users(g: ReactionGroupPayload, args: { first?: number | null }): UserRef[] {
    const first = intArg(args.first, 'first', 1, 20, 20);
    return g.users.slice(0, first);
  },
};
