import { userError } from '@chatgraph/errors';
import type { ChatsContext } from '../context';
import type { UserRef } from '../payloads';
import { myChats } from './myChats';
import { requireViewer } from './args';

/** Resolvers of `User` as this subgraph extends it (the viewer's chats). */
export const User = {
  __resolveReference(ref: { id: string }): UserRef {
    return { __typename: 'User', id: ref.id };
  },
  chats(user: UserRef, args: { first?: number | null; after?: string | null }, ctx: ChatsContext) {
    const viewerId = requireViewer(ctx.viewerId);
    if (user.id !== viewerId.toString()) throw userError('FORBIDDEN', 'Only the user themself can list their chats.');
    return myChats(ctx, viewerId, args);
  },
};
