import type { ChatListItem, User } from '@chatgraph/sdk';
import { chatName, errorText, shortTime } from '../format.ts';
import type { ChatListState } from '../hooks/useChatList.ts';
import { PresenceDot } from './PresenceDot.tsx';

interface Props {
  state: ChatListState;
  me: User;
  openChatId: string | null;
  onOpen(chatId: string): void;
}

function preview(chat: ChatListItem, me: User): string {
  const m = chat.lastMessage;
  if (!m) return 'No messages yet';
  const who = m.author.id === me.id ? 'You' : m.author.displayName;
  return `${who}: ${m.deleted ? 'message deleted' : (m.text ?? '')}`;
}

/** The viewer's chats, most recent first: name, presence, last message, time and unread count. */
export function ChatList({ state, me, openChatId, onOpen }: Props) {
  if (state.loading) return <p className="muted">Loading chats…</p>;
  return (
    <>
      {state.error != null && (
        <p className="error" role="alert">
          Could not load your chats: {errorText(state.error)}{' '}
          <button type="button" className="link" onClick={() => void state.reload()}>
            Try again
          </button>
        </p>
      )}
      {state.chats.length === 0 && !state.error && <p className="muted">No chats yet.</p>}
      <ul className="chat-list">
        {state.chats.map((chat) => {
          const others = chat.members.filter((m) => m.user.id !== me.id);
          const online = others.filter((m) => state.presence.get(m.user.id) === 'ONLINE').length;
          const name = chatName(chat, me);
          return (
            <li key={chat.id}>
              <button
                type="button"
                className="chat-item"
                aria-current={chat.id === openChatId ? 'true' : undefined}
                onClick={() => onOpen(chat.id)}
                data-chat-id={chat.id}
              >
                <span className="chat-item-top">
                  {chat.kind === 'DIRECT' ? (
                    <PresenceDot status={state.presence.get(others[0]?.user.id ?? '')} />
                  ) : (
                    <span className="group-online" aria-label={`${online} online`}>
                      {online > 0 ? <PresenceDot status="ONLINE" /> : <PresenceDot status="OFFLINE" />}
                    </span>
                  )}
                  <span className="chat-name">{name}</span>
                  <time className="chat-time" dateTime={chat.lastActivityAt}>
                    {shortTime(chat.lastActivityAt)}
                  </time>
                </span>
                <span className="chat-item-bottom">
                  <span className="chat-preview">{preview(chat, me)}</span>
                  {chat.unreadCount > 0 && (
                    <span className="badge" aria-label={`${chat.unreadCount} unread`}>
                      {chat.unreadCount}
                    </span>
                  )}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
      {state.hasMore && (
        <button type="button" className="more" onClick={() => void state.loadMore()}>
          More chats
        </button>
      )}
    </>
  );
}
