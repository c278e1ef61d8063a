import type { ChatsContext } from '../context';
import { ChatAccess, type MemberView } from '../policy/ChatAccess';

/**
 * Loads a chat for the viewer (batched per shard) and checks they are a member (see `ChatAccess.requireMemberView`):
 * NOT_FOUND for an unknown chat, FORBIDDEN for a non-member.
 */
export async function memberView(ctx: ChatsContext, chatId: bigint, field = 'chatId'): Promise<MemberView> {
  return ChatAccess.requireMemberView(chatId, await ctx.loaders.views.load(chatId), field);
}
