import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { ChatClient, ChatListItem, PresenceStatus, User } from '@chatgraph/sdk';
import { chatName, errorText } from '../format.ts';
import { useChatTimeline, type TimelineItem } from '../hooks/useChatTimeline.ts';
import { useTyping } from '../hooks/useTyping.ts';
import { Composer } from './Composer.tsx';
import { MessageItem } from './MessageItem.tsx';
import { PresenceDot } from './PresenceDot.tsx';

interface Props {
  client: ChatClient;
  me: User;
  chatId: string;
  /** The chat as the list has it (null until the list has it). */
  chat: ChatListItem | null;
  presence: ReadonlyMap<string, PresenceStatus>;
  onRead(update: { id: string; unreadCount: number; viewerLastReadSeq: number }): void;
  onBack(): void;
}

/** Within this many pixels of the top, the next older page is read; of the bottom, the view follows new messages. */
const EDGE_PX = 80;

/** One conversation: history (older pages as you scroll up), live messages, typing, read receipts and the composer. */
export function ChatView({ client, me, chatId, chat, presence, onRead, onBack }: Props) {
  const timeline = useChatTimeline(client, chatId, me.id);
  const typing = useTyping(client, chatId, me.id);
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const heightBeforeOlder = useRef<number | null>(null);
  const markedSeq = useRef(chat?.viewerLastReadSeq ?? 0);
  const [visible, setVisible] = useState(!document.hidden);

  useEffect(() => {
    const onVisibility = () => setVisible(!document.hidden);
    document.addEventListener('visibilitychange', onVisibility);
    return () => document.removeEventListener('visibilitychange', onVisibility);
  }, []);

  // Keeps the view where it was when an older page is added above, and at the bottom for new messages.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (heightBeforeOlder.current !== null) {
      el.scrollTop += el.scrollHeight - heightBeforeOlder.current;
      heightBeforeOlder.current = null;
    } else if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [timeline.items]);

  const loadOlder = timeline.loadOlder;
  const onScroll = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < EDGE_PX;
    if (el.scrollTop < EDGE_PX && timeline.hasOlder && !timeline.loadingOlder) {
      heightBeforeOlder.current = el.scrollHeight;
      void loadOlder();
    }
  }, [loadOlder, timeline.hasOlder, timeline.loadingOlder]);

  // A page that does not fill the view cannot be scrolled: read older pages until it does.
  useEffect(() => {
    const el = scroller.current;
    if (el && !timeline.loading && timeline.hasOlder && el.scrollHeight <= el.clientHeight) {
      heightBeforeOlder.current = el.scrollHeight;
      void loadOlder();
    }
  }, [timeline.items, timeline.loading, timeline.hasOlder, loadOlder]);

  // The read marker follows what the viewer has seen: the newest message, while at the bottom of a visible page.
  const newestSeq = timeline.newestSeq;
  const [scrolledToBottom, setScrolledToBottom] = useState(0);
  useEffect(() => {
    if (!visible || !atBottom.current || newestSeq <= markedSeq.current) return;
    markedSeq.current = newestSeq;
    client
      .chat(chatId)
      .markRead(newestSeq)
      .then(
        (summary) =>
          onRead({ id: chatId, unreadCount: summary.unreadCount, viewerLastReadSeq: summary.viewerLastReadSeq }),
        () => (markedSeq.current = 0),
      );
  }, [client, chatId, newestSeq, visible, scrolledToBottom, onRead]);

  // Typing indicators are best effort: one that fails (the connection is down) is not worth a message.
  const setTyping = (active: boolean) =>
    void client
      .chat(chatId)
      .setTyping(active)
      .catch(() => undefined);

  const others = chat ? chat.members.filter((m) => m.user.id !== me.id) : [];
  const title = chat ? chatName(chat, me) : 'Chat';
  const seenBy = readReceipts(timeline.items, timeline.members, me.id);

  return (
    <section className="chat-view" aria-label={title}>
      <header className="chat-header">
        <button type="button" className="back" onClick={onBack} aria-label="Back to chats">
          ←
        </button>
        {chat?.kind === 'DIRECT' && <PresenceDot status={presence.get(others[0]?.user.id ?? '')} />}
        <h2>{title}</h2>
        {chat?.kind === 'GROUP' && <span className="muted">{chat.members.length} members</span>}
      </header>
      <div
        className="messages"
        ref={scroller}
        onScroll={() => {
          onScroll();
          if (atBottom.current) setScrolledToBottom((n) => n + 1);
        }}
        role="log"
        aria-label="Messages"
        tabIndex={0}
      >
        {timeline.loadingOlder && <p className="muted center">Loading older messages…</p>}
        {!timeline.hasOlder && !timeline.loading && <p className="muted center">Beginning of the conversation</p>}
        {timeline.loading && <p className="muted center">Loading…</p>}
        <ol className="message-list">
          {timeline.items.map((item) => (
            <MessageItem
              key={item.key}
              item={item}
              me={me}
              seenBy={item.kind === 'message' ? seenBy.get(item.seq) : undefined}
              onEdit={timeline.edit}
              onDelete={timeline.remove}
              onRetry={timeline.retry}
              onDiscard={timeline.discard}
            />
          ))}
        </ol>
      </div>
      {timeline.error != null && (
        <p className="error" role="alert">
          {errorText(timeline.error)}
        </p>
      )}
      <p className="typing" aria-live="polite" data-testid="typing">
        {typing.length === 1 && `${typing[0]!.displayName} is typing…`}
        {typing.length > 1 && `${typing.map((u) => u.displayName).join(', ')} are typing…`}
      </p>
      <Composer
        onSend={(text) => {
          atBottom.current = true;
          timeline.send(text);
          setTyping(false);
        }}
        onTyping={setTyping}
      />
    </section>
  );
}

/** For each message, who (besides the viewer) has read up to it and no further: "Seen by …" goes under it. */
function readReceipts(
  items: TimelineItem[],
  members: { user: User; lastReadSeq: number }[],
  meId: string,
): Map<number, string[]> {
  const seqs = items.flatMap((i) => (i.kind === 'message' ? [i.seq] : []));
  const result = new Map<number, string[]>();
  for (const member of members) {
    if (member.user.id === meId) continue;
    let at: number | undefined;
    for (const seq of seqs) if (seq <= member.lastReadSeq) at = seq;
    if (at === undefined) continue;
    result.set(at, [...(result.get(at) ?? []), member.user.displayName]);
  }
  return result;
}
