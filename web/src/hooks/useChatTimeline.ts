import { useCallback, useEffect, useState } from 'react';
import type { ChatClient, ChatEvent, ChatMember } from '@chatgraph/sdk';
import { useChat } from '@chatgraph/sdk/react';
import type { Message } from '@chatgraph/sdk';
import { useConnectionMonitor } from '../connection.ts';

/** One line of the conversation. */
export type TimelineItem =
  | { kind: 'message'; key: string; seq: number; message: Message }
  | { kind: 'notice'; key: string; seq: number; text: string }
  | { kind: 'pending'; key: string; text: string; failed: boolean };

export interface ChatTimeline {
  items: TimelineItem[];
  /** The newest seq shown (what "read up to here" means). */
  newestSeq: number;
  loading: boolean;
  loadingOlder: boolean;
  hasOlder: boolean;
  /** An error that ended the chat's stream (e.g. FORBIDDEN after being removed), or of the first load. */
  error: unknown;
  /** The members, with their read markers (re-read every few seconds, when someone else writes and after reconnects). */
  members: ChatMember[];
  loadOlder(): Promise<void>;
  send(text: string): void;
  retry(clientMessageId: string): void;
  discard(clientMessageId: string): void;
  edit(messageId: string, text: string): Promise<void>;
  remove(messageId: string): Promise<void>;
}

/** How often read receipts are read again while the chat is open. */
const RECEIPTS_REFRESH_MS = 5000;

function notice(event: ChatEvent): string | null {
  const who = event.member?.user.displayName ?? event.actor.displayName;
  switch (event.type) {
    case 'MEMBER_ADDED':
      return `${who} joined`;
    case 'MEMBER_REMOVED':
      return `${who} left`;
    case 'CHAT_UPDATED':
      return `${event.actor.displayName} renamed the chat to “${event.title ?? ''}”`;
    default:
      return null;
  }
}

/**
 * A chat's conversation on the SDK's ChatStore (`useChat`): history paged on demand, every event after it live, sends
 * pending until confirmed (retried with the same `clientMessageId`); plus what the store leaves to the app: notices
 * (joins, renames) and the members' read markers for read receipts.
 */
export function useChatTimeline(client: ChatClient, chatId: string, meId: string): ChatTimeline {
  const chat = useChat(client, chatId);
  const { store, status } = chat;
  const [notices, setNotices] = useState<ReadonlyMap<number, string>>(new Map());
  const [members, setMembers] = useState<ChatMember[]>([]);
  const monitor = useConnectionMonitor();

  const readMembers = useCallback(async () => {
    try {
      const details = await client.getChat({ id: chatId });
      if (details) setMembers(details.members);
    } catch {
      // Read receipts are a nicety: the next refresh reads them again.
    }
  }, [client, chatId]);

  // The chat's stream counts for the connection banner.
  useEffect(() => {
    if (status === 'closed') monitor.remove('chat');
    else monitor.set('chat', status);
  }, [monitor, status]);
  useEffect(() => () => monitor.remove('chat'), [monitor]);

  // Notices and read receipts follow the events; receipts are re-read after reconnects and every few seconds (read
  // markers have no live event).
  useEffect(() => {
    setNotices(new Map());
    if (!store) return;
    void readMembers();
    const stop = store.onEvent((event) => {
      const text = notice(event);
      if (text) setNotices((before) => new Map(before).set(event.seq, text));
      if (text || (event.type === 'MESSAGE_ADDED' && event.message?.author.id !== meId)) void readMembers();
    });
    const timer = setInterval(() => {
      if (!document.hidden) void readMembers();
    }, RECEIPTS_REFRESH_MS);
    return () => {
      stop();
      clearInterval(timer);
    };
  }, [store, meId, readMembers]);
  useEffect(() => {
    if (status === 'live') void readMembers();
  }, [status, readMembers]);

  const send = useCallback((text: string) => void store?.send(text), [store]);
  const retry = useCallback((id: string) => store?.retry(id), [store]);
  const discard = useCallback((id: string) => store?.discard(id), [store]);
  const loadOlder = useCallback(async () => store?.loadOlder(), [store]);
  const edit = useCallback(
    async (messageId: string, text: string) => store?.apply(await client.editMessage({ messageId, text })),
    [client, store],
  );
  const remove = useCallback(
    async (messageId: string) => store?.apply(await client.deleteMessage({ messageId })),
    [client, store],
  );

  const items: TimelineItem[] = [
    ...chat.messages.map((message): TimelineItem => ({ kind: 'message', key: message.id, seq: message.seq, message })),
    ...[...notices].map(([seq, text]): TimelineItem => ({ kind: 'notice', key: `notice-${seq}`, seq, text })),
  ].sort((a, b) => (a.kind === 'pending' || b.kind === 'pending' ? 0 : a.seq - b.seq));
  for (const p of chat.pending)
    items.push({ kind: 'pending', key: p.clientMessageId, text: p.text, failed: p.status === 'failed' });
  return {
    items,
    newestSeq: chat.newestSeq,
    loading: chat.loading,
    loadingOlder: chat.loadingOlder,
    hasOlder: chat.hasOlder,
    error: chat.error,
    members,
    loadOlder,
    send,
    retry,
    discard,
    edit,
    remove,
  };
}
