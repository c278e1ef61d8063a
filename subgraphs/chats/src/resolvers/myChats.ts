import { badInput } from '@chatgraph/errors';
import type { ChatsContext } from '../context';
import { chatCursor, parseChatCursor } from './cursors';
import type { ChatView } from '../storage/records';
import { intArg } from './args';
import { connection } from './connection';

/** The viewer's chats, newest activity first (shared by `Query.myChats` and `User.chats`). */
export async function myChats(
  ctx: ChatsContext,
  viewerId: bigint,
  args: { first?: number | null; after?: string | null },
) {
  const first = intArg(args.first, 'first', 1, 100, 20);
  const after = args.after == null ? null : parseChatCursor(args.after);
  if (args.after != null && after === null) throw badInput('after', 'after is not a cursor of this list.');
  const page = await ctx.stores.chats.listForUser(viewerId, first, after);
  for (const item of page.items) ctx.loaders.primeView(item.view);
  // Cursors are list positions (the index's copy of the activity time), so that paging continues where it stopped.
  const positions = new Map(page.items.map((item) => [item.view, item.position]));
  return connection<ChatView>(
    page.items.map((item) => item.view),
    (v) => chatCursor(positions.get(v)!),
    { hasNextPage: page.hasNextPage, hasPreviousPage: after !== null },
  );
}
