import { userError } from '@chatgraph/errors';
import type { GraphQLError } from 'graphql';
import type { ChatKind, ChatRecord, ChatRole, ChatView, MemberRecord } from '../storage/records';

const RANK: Record<ChatRole, number> = { OWNER: 3, ADMIN: 2, MEMBER: 1 };

/** A chat the viewer is a member of. */
export interface MemberView extends ChatView {
  membership: MemberRecord;
}

/**
 * Who may see and change a chat, and the errors a refusal gives: only members see a chat or anything in it
 * (NOT_FOUND for an unknown chat, FORBIDDEN for a non-member), owners and admins manage it, and a role only acts on
 * lower ones. Reads and transactions fetch the rows (`storage/`); the rules are decided here, in one place.
 */
export const ChatAccess = {
  /** NOT_FOUND for an unknown chat. */
  notFound(chatId: bigint, field = 'chatId'): GraphQLError {
    return userError('NOT_FOUND', `There is no chat with id ${chatId}.`, { field });
  },

  /** FORBIDDEN for a non-member. */
  notMember(): GraphQLError {
    return userError('FORBIDDEN', 'You are not a member of this chat.');
  },

  /** Throws NOT_FOUND / FORBIDDEN unless the chat exists and `membership` is present; returns the membership. */
  requireMember(chatId: bigint, chat: ChatRecord | null, membership: MemberRecord | null | undefined): MemberRecord {
    if (!chat) throw ChatAccess.notFound(chatId);
    if (!membership) throw ChatAccess.notMember();
    return membership;
  },

  /** The viewer's view of a chat if they are a member; NOT_FOUND / FORBIDDEN (naming `field`) otherwise. */
  requireMemberView(chatId: bigint, view: ChatView | null, field = 'chatId'): MemberView {
    if (!view) throw ChatAccess.notFound(chatId, field);
    if (!view.membership) throw ChatAccess.notMember();
    return { ...view, membership: view.membership };
  },

  /** True when `actor` outranks `target` (OWNER > ADMIN > MEMBER). */
  outranks(actor: ChatRole, target: ChatRole): boolean {
    return RANK[actor] > RANK[target];
  },

  /** True for OWNER and ADMIN. */
  canManage(role: ChatRole): boolean {
    return role === 'OWNER' || role === 'ADMIN';
  },

  /** Who pins and unpins messages: the owner and admins of a group, either member of a direct chat. */
  canPin(kind: ChatKind, role: ChatRole): boolean {
    return kind === 'DIRECT' || ChatAccess.canManage(role);
  },
};
