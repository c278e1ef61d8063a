import { ChatGraphError, type ChatListItem, type User } from '@chatgraph/sdk';

/** What to tell the user about a failed call. */
export function errorText(err: unknown): string {
  if (err instanceof ChatGraphError) {
    if (err.code === 'NETWORK_ERROR') return 'Cannot reach the server. Check your connection and try again.';
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

/** 14:05 today, else "Mar 3". */
export function shortTime(iso: string): string {
  const date = new Date(iso);
  return date.toDateString() === new Date().toDateString() ? timeFormat.format(date) : dateFormat.format(date);
}

/** A chat's name: its title, or for a direct chat the other member's name. */
export function chatName(chat: ChatListItem, me: User): string {
  if (chat.title) return chat.title;
  const others = chat.members.filter((m) => m.user.id !== me.id);
  return others.map((m) => m.user.displayName).join(', ') || 'Just you';
}
