import { useCallback, useEffect, useRef, useState } from 'react';
import { newClientMessageId, type ChatClient, type ChatEvent, type ChatMember, type Message } from '@chatgraph/sdk';
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

const PAGE = 30;
/** How often read receipts are read again while the chat is open. */
const RECEIPTS_REFRESH_MS = 5000;

interface Pending {
  clientMessageId: string;
  text: string;
  failed: boolean;
}

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
 * A chat's conversation: the newest page of history, then every event after it live (exactly once and in order: the
 * SDK's stream resumes after the last seq it delivered across reconnects), older pages on demand, and sends shown at
 * once as pending until the server has them (a failed one can be retried with the same `clientMessageId`, so it is
 * never sent twice).
 */
export function useChatTimeline(client: ChatClient, chatId: string, meId: string): ChatTimeline {
  const [messages, setMessages] = useState<ReadonlyMap<number, Message>>(new Map());
  const [notices, setNotices] = useState<ReadonlyMap<number, string>>(new Map());
  const [pending, setPending] = useState<Pending[]>([]);
  const [loading, setLoading] = useState(true);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [olderCursor, setOlderCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [members, setMembers] = useState<ChatMember[]>([]);
  const monitor = useConnectionMonitor();
  const olderLoading = useRef(false);

  const put = useCallback((message: Message) => {
    setMessages((before) => new Map(before).set(message.seq, message));
    setPending((list) => list.filter((p) => p.clientMessageId !== message.clientMessageId));
  }, []);

  const readMembers = useCallback(async () => {
    try {
      const chat = await client.getChat({ id: chatId });
      if (chat) setMembers(chat.members);
    } catch {
      // Read receipts are a nicety: the next event reads them again.
    }
  }, [client, chatId]);

  useEffect(() => {
    let closed = false;
    let stopStream = () => {};
    const aborted = new AbortController();
    setMessages(new Map());
    setNotices(new Map());
    setPending([]);
    setLoading(true);
    setError(null);
    setOlderCursor(null);
    void readMembers();
    (async () => {
      const chat = await client.chatMessages({ chatId, last: PAGE }, { signal: aborted.signal });
      if (closed || !chat) return;
      setMessages(new Map(chat.messages.nodes.map((m) => [m.seq, m])));
      setOlderCursor(chat.messages.pageInfo.hasPreviousPage ? chat.messages.pageInfo.startCursor : null);
      setLoading(false);
      let wasLive = false;
      // Every event after the page just read, live: the stream starts at its lastSeq.
      const stream = client.chat(chatId).subscribe(
        {
          next: (event) => {
            if (event.message) {
              if (event.type === 'MESSAGE_ADDED') put(event.message);
              else
                setMessages((before) =>
                  before.has(event.message!.seq) ? new Map(before).set(event.message!.seq, event.message!) : before,
                );
              if (event.type === 'MESSAGE_ADDED' && event.message.author.id !== meId) void readMembers();
            }
            const text = notice(event);
            if (text) {
              setNotices((before) => new Map(before).set(event.seq, text));
              void readMembers();
            }
          },
          status: (status) => {
            if (status === 'live' && wasLive) void readMembers();
            if (status === 'live') wasLive = true;
          },
          error: (err) => setError(err),
        },
        { afterSeq: chat.lastSeq },
      );
      const unwatch = monitor.watch('chat', stream);
      stopStream = () => {
        unwatch();
        stream.close();
      };
    })().catch((err: unknown) => {
      if (closed) return;
      setError(err);
      setLoading(false);
    });
    return () => {
      closed = true;
      aborted.abort();
      stopStream();
    };
  }, [client, chatId, meId, monitor, put, readMembers]);

  // Read markers have no live event: while the page is visible, read them again every few seconds.
  useEffect(() => {
    const timer = setInterval(() => {
      if (!document.hidden) void readMembers();
    }, RECEIPTS_REFRESH_MS);
    return () => clearInterval(timer);
  }, [readMembers]);

  const loadOlder = useCallback(async () => {
    if (!olderCursor || olderLoading.current) return;
    olderLoading.current = true;
    setLoadingOlder(true);
    try {
      const chat = await client.chatMessages({ chatId, last: PAGE, before: olderCursor });
      if (!chat) return;
      setMessages((before) => {
        const next = new Map(before);
        for (const m of chat.messages.nodes) if (!next.has(m.seq)) next.set(m.seq, m);
        return next;
      });
      setOlderCursor(chat.messages.pageInfo.hasPreviousPage ? chat.messages.pageInfo.startCursor : null);
    } catch (err) {
      setError(err);
    } finally {
      olderLoading.current = false;
      setLoadingOlder(false);
    }
  }, [client, chatId, olderCursor]);

  const deliver = useCallback(
    (clientMessageId: string, text: string) => {
      client
        .chat(chatId)
        .send(text, { clientMessageId })
        .then(put, () =>
          setPending((list) => list.map((p) => (p.clientMessageId === clientMessageId ? { ...p, failed: true } : p))),
        );
    },
    [client, chatId, put],
  );

  const send = useCallback(
    (text: string) => {
      const clientMessageId = newClientMessageId();
      setPending((list) => [...list, { clientMessageId, text, failed: false }]);
      deliver(clientMessageId, text);
    },
    [deliver],
  );

  const retry = useCallback(
    (clientMessageId: string) => {
      let text = '';
      setPending((list) =>
        list.map((p) => {
          if (p.clientMessageId !== clientMessageId) return p;
          text = p.text;
          return { ...p, failed: false };
        }),
      );
      if (text) deliver(clientMessageId, text);
    },
    [deliver],
  );

  const discard = useCallback((clientMessageId: string) => {
    setPending((list) => list.filter((p) => p.clientMessageId !== clientMessageId));
  }, []);

  const edit = useCallback(
    async (messageId: string, text: string) => put(await client.editMessage({ messageId, text })),
    [client, put],
  );
  const remove = useCallback(
    async (messageId: string) => put(await client.deleteMessage({ messageId })),
    [client, put],
  );

  const items: TimelineItem[] = [
    ...[...messages.values()].map((message): TimelineItem => ({
      kind: 'message',
      key: message.id,
      seq: message.seq,
      message,
    })),
    ...[...notices].map(([seq, text]): TimelineItem => ({ kind: 'notice', key: `notice-${seq}`, seq, text })),
  ].sort((a, b) => (a.kind === 'pending' || b.kind === 'pending' ? 0 : a.seq - b.seq));
  for (const p of pending) items.push({ kind: 'pending', key: p.clientMessageId, text: p.text, failed: p.failed });
  const seqs = [...messages.keys(), ...notices.keys()];
  return {
    items,
    newestSeq: seqs.length ? Math.max(...seqs) : 0,
    loading,
    loadingOlder,
    hasOlder: olderCursor !== null,
    error,
    members,
    loadOlder,
    send,
    retry,
    discard,
    edit,
    remove,
  };
}
