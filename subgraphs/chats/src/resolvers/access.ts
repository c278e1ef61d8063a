import { userError } from '@chatgraph/errors';
import type { ChatsContext } from '../context';
import type { ChatView, MemberRecord } from '../storage/records';

/** A chat the viewer is a member of. */
export interface MemberView extends ChatView {
  membership: MemberRecord;
}

/**
 * Loads a chat for the viewer (batched per shard) and checks they are a member: NOT_FOUND for an unknown chat,
 * FORBIDDEN for a non-member.
 */
export async function memberView(ctx: ChatsContext, chatId: bigint, field = 'chatId'): Promise<MemberView> {
  const view = await ctx.loaders.views.load(chatId);
  if (!view) throw userError('NOT_FOUND', `There is no chat with id ${chatId}.`, { field });
  if (!view.membership) throw userError('FORBIDDEN', 'You are not a member of this chat.');
  return { ...view, membership: view.membership };
}
