import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ChatActivity, ChatClient, ChatListItem, ChatListPage, PresenceStatus, User } from '@chatgraph/sdk';
import type { ConnectionMonitor } from '../connection.ts';

export interface ChatListState {
  chats: ChatListItem[];
  loading: boolean;
  error: unknown;
  /** Presence of the users the viewer shares a chat with, live. */
  presence: ReadonlyMap<string, PresenceStatus>;
  /** Whether there are older chats than the ones listed. */
  hasMore: boolean;
  /** Reads the next page of older chats. */
  loadMore(): Promise<void>;
  /** Reads the list again (as many chats as are listed). */
  reload(): Promise<void>;
  /** Puts a chat the viewer just opened or read into the list as the server returned it. */
  merge(chat: Partial<ChatListItem> & { id: string }): void;
}

/** Chats per page (30 is what fits the gateway's cost limit with members and presence). */
const PAGE = 30;
/** After a refused presence subscription, when to try again (the server's view of who shares a chat lags by seconds). */
const PRESENCE_RETRY_MS = 5000;

/** Moves `chat` to the top (most recent activity first). */
const toTop = (chats: ChatListItem[], chat: ChatListItem) => [chat, ...chats.filter((c) => c.id !== chat.id)];

/**
 * The viewer's chats, kept current by `myChatActivity`: a new message moves its chat to the top with an unread badge
 * (unless that chat is open); joining, leaving and renames re-read the list; so does every return to `live` after a
 * reconnect (activity is not replayed). Presence of the other members comes live from `presenceChanged`.
 */
export function useChatList(
  client: ChatClient,
  me: User,
  openChatId: string | null,
  monitor: ConnectionMonitor,
): ChatListState {
  const [chats, setChats] = useState<ChatListItem[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [presence, setPresence] = useState<ReadonlyMap<string, PresenceStatus>>(new Map());
  const [presenceAttempt, setPresenceAttempt] = useState(0);
  const [endCursor, setEndCursor] = useState<string | null>(null);
  const pages = useRef(1);
  const openRef = useRef(openChatId);
  openRef.current = openChatId;

  const notePresence = useCallback((page: ChatListItem[]) => {
    setPresence((before) => {
      const next = new Map(before);
      for (const chat of page)
        for (const m of chat.members) if (m.user.presence) next.set(m.user.id, m.user.presence.status);
      return next;
    });
  }, []);

  /** Reads every page listed so far. */
  const readPages = useCallback(async () => {
    let nodes: ChatListItem[] = [];
    let after: string | null = null;
    for (let i = 0; i < pages.current; i++) {
      const page: ChatListPage = await client.chatList({ first: PAGE, after });
      nodes = [...nodes, ...page.nodes];
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      if (!after) break;
    }
    return { nodes, after };
  }, [client]);

  // One read at a time: a reload asked for while one runs (or activity that arrives meanwhile, which the running read
  // may have missed) reads again once it is done, and only the last read's result is shown.
  const reading = useRef<Promise<void> | null>(null);
  const readAgain = useRef(false);
  const reload = useCallback((): Promise<void> => {
    if (reading.current) {
      readAgain.current = true;
      return reading.current;
    }
    reading.current = (async () => {
      try {
        let result;
        do {
          readAgain.current = false;
          result = await readPages();
        } while (readAgain.current);
        setChats(result.nodes);
        setEndCursor(result.after);
        notePresence(result.nodes);
        setError(null);
      } catch (err) {
        setError(err);
      } finally {
        reading.current = null;
        setLoading(false);
      }
    })();
    return reading.current;
  }, [readPages, notePresence]);

  const loadMore = useCallback(async () => {
    if (!endCursor) return;
    try {
      const page = await client.chatList({ first: PAGE, after: endCursor });
      pages.current += 1;
      setChats((list) => [...list, ...page.nodes.filter((c) => !list.some((x) => x.id === c.id))]);
      setEndCursor(page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null);
      notePresence(page.nodes);
    } catch (err) {
      setError(err);
    }
  }, [client, endCursor, notePresence]);

  useEffect(() => {
    void reload();
    let wasLive = false;
    const onActivity = (activity: ChatActivity) => {
      const chatId = activity.chat.id;
      // A read under way may have missed this: read again after it.
      if (reading.current) readAgain.current = true;
      if (activity.type === 'MEMBER_ADDED' || activity.type === 'MEMBER_REMOVED' || activity.type === 'CHAT_UPDATED') {
        void reload();
        return;
      }
      setChats((list) => {
        const chat = list.find((c) => c.id === chatId);
        if (!chat) {
          void reload();
          return list;
        }
        const message = activity.message;
        // Already counted: the list was read after this event.
        if (activity.type === 'MESSAGE_ADDED' && activity.seq <= chat.lastSeq) return list;
        if (activity.type === 'MESSAGE_ADDED' && message) {
          const fromOther = message.author.id !== me.id;
          const unread = fromOther && openRef.current !== chatId ? chat.unreadCount + 1 : chat.unreadCount;
          return toTop(list, {
            ...chat,
            lastMessage: message,
            lastSeq: Math.max(chat.lastSeq, activity.seq),
            lastActivityAt: activity.at,
            unreadCount: unread,
          });
        }
        if (message && chat.lastMessage?.id === message.id)
          return list.map((c) => (c.id === chatId ? { ...chat, lastMessage: message } : c));
        return list;
      });
    };
    const stream = client.myChatActivity({
      next: onActivity,
      status: (status) => {
        // Activity is not replayed after a reconnect: read the list again.
        if (status === 'live' && wasLive) void reload();
        if (status === 'live') wasLive = true;
      },
    });
    const unwatch = monitor.watch('chat list', stream);
    return () => {
      unwatch();
      stream.close();
    };
  }, [client, me.id, monitor, reload]);

  // Presence of everyone the viewer shares a chat with (at most 500 ids per subscription).
  const others = useMemo(() => {
    const ids = new Set<string>();
    for (const chat of chats) for (const m of chat.members) if (m.user.id !== me.id) ids.add(m.user.id);
    return [...ids].sort().slice(0, 500);
  }, [chats, me.id]);
  // Resubscribed only when the set of users changes, not on every list update.
  const othersKey = others.join(',');
  useEffect(() => {
    const userIds = othersKey ? othersKey.split(',') : [];
    if (!userIds.length) return;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const stream = client.presenceChanged(
      { userIds },
      {
        next: (e) => setPresence((before) => new Map(before).set(e.user.id, e.status)),
        // Refused (FORBIDDEN) for someone the server does not yet know shares a chat with the viewer (a chat created
        // a moment ago): read the list and subscribe again a little later.
        error: () => {
          retry = setTimeout(() => {
            setPresenceAttempt((n) => n + 1);
            void reload();
          }, PRESENCE_RETRY_MS);
        },
      },
    );
    return () => {
      clearTimeout(retry);
      stream.close();
    };
  }, [client, othersKey, presenceAttempt, reload]);

  const merge = useCallback((update: Partial<ChatListItem> & { id: string }) => {
    setChats((list) => list.map((c) => (c.id === update.id ? { ...c, ...update } : c)));
  }, []);

  return { chats, loading, error, presence, hasMore: endCursor !== null, loadMore, reload, merge };
}
