import { userError } from '@chatgraph/errors';
import type { ChatsContext } from '../context';
import { messagePayload, type MessagePayload } from '../payloads';
import type { ChatView } from '../storage/records';
import { memberView } from './access';
import { idArg, requireViewer } from './args';

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
};
