import { useEffect, useId, useRef, useState } from 'react';
import type { ChatClient, Notification } from '@chatgraph/sdk';
import { shortTime } from '../format.ts';
import { useNotifications } from '../hooks/useNotifications.ts';

interface Props {
  client: ChatClient;
  onOpenChat(chatId: string): void;
}

function describe(n: Notification): string {
  const who = n.actor.displayName;
  const where = n.chat?.title ? ` in ${n.chat.title}` : '';
  const text = n.message?.text ? `: ${n.message.text}` : '';
  switch (n.kind) {
    case 'DIRECT_MESSAGE':
      return `${who} sent you a message${text}`;
    case 'MENTION':
      return `${who} mentioned you${where}${text}`;
    case 'REPLY':
      return `${who} replied${where}${text}`;
    case 'REACTION':
      return `${who} reacted to your message${where}`;
    case 'ADDED_TO_CHAT':
      return `${who} added you to ${n.chat?.title ?? 'a chat'}`;
    default:
      return `${who}${where}${text}`;
  }
}

/** The bell: the live unread count, and a panel with the newest notifications (Escape closes it). */
export function NotificationBell({ client, onOpenChat }: Props) {
  const state = useNotifications(client);
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const button = useRef<HTMLButtonElement>(null);
  const { load } = state;

  useEffect(() => {
    if (open) void load();
  }, [open, load]);

  const close = () => {
    setOpen(false);
    button.current?.focus();
  };
  const label = state.unread ? `Notifications, ${state.unread} unread` : 'Notifications';

  return (
    <div className="bell" onKeyDown={(e) => e.key === 'Escape' && open && close()}>
      <button
        ref={button}
        type="button"
        aria-label={label}
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen(!open)}
      >
        <svg className="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
          <path d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z" />
        </svg>
        {state.unread > 0 && (
          <span className="badge" aria-hidden="true">
            {state.unread}
          </span>
        )}
      </button>
      {open && (
        <div className="bell-panel" id={panelId} role="region" aria-label="Notifications">
          <div className="bell-head">
            <h2>Notifications</h2>
            <button type="button" className="link" onClick={() => void state.markAllRead()} disabled={!state.unread}>
              Mark all read
            </button>
          </div>
          {state.unavailable && <p className="muted">Notifications are not available right now.</p>}
          {!state.unavailable && state.items.length === 0 && <p className="muted">Nothing yet.</p>}
          <ul>
            {state.items.map((n) => (
              <li key={n.id} className={n.readAt ? 'read' : 'unread'}>
                <button
                  type="button"
                  className="notification"
                  disabled={!n.chat}
                  onClick={() => {
                    if (n.chat) onOpenChat(n.chat.id);
                    close();
                  }}
                >
                  <span>{describe(n)}</span> <time dateTime={n.createdAt}>{shortTime(n.createdAt)}</time>
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
