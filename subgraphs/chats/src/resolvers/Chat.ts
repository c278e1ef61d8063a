import { badInput } from '@chatgraph/errors';
import type { ChatsContext } from '../context';
import { messageCursor, parseMessageCursor } from './cursors';
import { memberPayload, messagePayload, type MessagePayload } from '../payloads';
import type { ChatView } from '../storage/records';
import type { MessagePage, MessagePageRequest } from '../storage/MessageHistory';
import { memberView } from './access';
import { idArg, intArg, requireViewer } from './args';
import { connection } from './connection';

const DEFAULT_PAGE = 50;
const MAX_PAGE = 100;

/** Arguments of a message page (`Chat.messages`, `Message.replies`). */
export interface MessagesArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

function cursorArg(value: string | null | undefined, field: string): number | null {
  if (value === null || value === undefined) return null;
  const seq = parseMessageCursor(value);
  if (seq === null) throw badInput(field, `${field} is not a cursor of this list.`);
  return seq;
}

/** Reads one page of messages by seq (`read`) as the arguments ask, and shapes the connection. */
export async function messagePage(
  args: MessagesArgs,
  ctx: ChatsContext,
  read: (request: MessagePageRequest) => Promise<MessagePage>,
) {
  if (args.first != null && args.last != null) throw badInput('last', 'Pass either first or last, not both.');
  const forward = args.first != null || args.after != null;
  if (forward && args.before != null)
    throw badInput('before', 'before pages backwards; use it with last, not first/after.');
  if (!forward && args.after != null) throw badInput('after', 'after pages forwards; use it with first.');
  const limit = forward
    ? intArg(args.first, 'first', 0, MAX_PAGE, DEFAULT_PAGE)
    : intArg(args.last, 'last', 0, MAX_PAGE, DEFAULT_PAGE);
  const cursorSeq = forward ? cursorArg(args.after, 'after') : cursorArg(args.before, 'before');
  const page = await read({ direction: forward ? 'forward' : 'backward', limit, cursorSeq });
  for (const m of page.messages) ctx.loaders.messages.prime(m.id, m);
  return connection<MessagePayload>(
    page.messages.map((m) => messagePayload(m)),
    (m) => messageCursor(m.seq),
    {
      hasNextPage: forward ? page.hasMore : cursorSeq !== null,
      hasPreviousPage: forward ? cursorSeq !== null && cursorSeq > 0 : page.hasMore,
    },
  );
}

/** Resolvers of `Chat` (parent: the chat as the viewer sees it, membership checked). */
export const Chat = {
  async __resolveReference(ref: { id: unknown }, ctx: ChatsContext): Promise<ChatView> {
    requireViewer(ctx.viewerId);
    return memberView(ctx, idArg(ref.id, 'id'), 'id');
  },
  id: (v: ChatView) => v.chat.id.toString(),
  kind: (v: ChatView) => v.chat.kind,
  title: (v: ChatView) => v.chat.title,
  createdAt: (v: ChatView) => v.chat.createdAt,
  lastSeq: (v: ChatView) => v.chat.lastSeq,
  lastActivityAt: (v: ChatView) => v.chat.lastActivityAt,
  viewerLastReadSeq: (v: ChatView) => v.membership?.lastReadSeq ?? 0,
  viewerRole: (v: ChatView) => v.membership?.role ?? 'MEMBER',
  /** Null when not muted or when the mute is over. */
  async viewerMutedUntil(v: ChatView, _args: unknown, ctx: ChatsContext): Promise<Date | null> {
    const until =
      v.membership?.mutedUntil !== undefined
        ? v.membership.mutedUntil
        : ((await ctx.loaders.views.load(v.chat.id))?.membership?.mutedUntil ?? null);
    return until && until.getTime() > Date.now() ? until : null;
  },
  unreadCount: (v: ChatView, _args: unknown, ctx: ChatsContext) => v.unreadCount ?? ctx.loaders.unread.load(v.chat.id),
  async lastMessage(v: ChatView, _args: unknown, ctx: ChatsContext): Promise<MessagePayload | null> {
    const message = v.lastMessage === undefined ? await ctx.loaders.lastMessages.load(v.chat.id) : v.lastMessage;
    return message && messagePayload(message);
  },
  async members(v: ChatView, _args: unknown, ctx: ChatsContext) {
    return (await ctx.loaders.members.load(v.chat.id)).map(memberPayload);
  },
  messages(v: ChatView, args: MessagesArgs, ctx: ChatsContext) {
    return messagePage(args, ctx, (request) => ctx.stores.history.page(v.chat.id, request));
  },
  async pinnedMessages(v: ChatView, _args: unknown, ctx: ChatsContext): Promise<MessagePayload[]> {
    const pinned = await ctx.loaders.pinned.load(v.chat.id);
    for (const m of pinned) ctx.loaders.messages.prime(m.id, m);
    return pinned.map((m) => messagePayload(m));
  },
};
