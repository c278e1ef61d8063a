import { useEffect, useMemo, useState } from 'react';
import type { ChatClient, User } from '@chatgraph/sdk';
import { ConnectionContext, ConnectionMonitor } from '../connection.ts';
import { useChatList } from '../hooks/useChatList.ts';
import { ChatList } from './ChatList.tsx';
import { ChatView } from './ChatView.tsx';
import { ConnectionBanner } from './ConnectionBanner.tsx';
import { NewChatForm } from './NewChatForm.tsx';
import { NotificationBell } from './NotificationBell.tsx';

interface Props {
  client: ChatClient;
  me: User;
  onSignOut(): void;
}

/** The chat id in the address (`#chat=<id>`), so reloads and the back button keep the open chat. */
function chatFromHash(): string | null {
  const match = /^#chat=([\w-]+)$/.exec(location.hash);
  return match ? match[1]! : null;
}

/** Signed in: the chat list beside the open chat, the connection banner and the notification bell. */
export function Workspace({ client, me, onSignOut }: Props) {
  const monitor = useMemo(() => new ConnectionMonitor(), []);
  const [openChatId, setOpenChatId] = useState<string | null>(chatFromHash);
  const list = useChatList(client, me, openChatId, monitor);

  useEffect(() => {
    const onHash = () => setOpenChatId(chatFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  // Online while the page is open (a heartbeat every 30 s); away while it is hidden.
  useEffect(() => {
    const heartbeat = client.startHeartbeat();
    const onVisibility = () => heartbeat.setStatus(document.hidden ? 'AWAY' : 'ONLINE');
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      document.removeEventListener('visibilitychange', onVisibility);
      void heartbeat.stop();
    };
  }, [client]);

  const open = (chatId: string | null) => {
    history.pushState(null, '', chatId ? `#chat=${chatId}` : location.pathname);
    setOpenChatId(chatId);
  };
  const openChat = list.chats.find((c) => c.id === openChatId) ?? null;

  return (
    <ConnectionContext.Provider value={monitor}>
      <div className="app">
        <header className="topbar">
          <span className="brand">chatgraph</span>
          <ConnectionBanner />
          <span className="spacer" />
          <NotificationBell client={client} onOpenChat={open} />
          <span className="me" aria-label="Signed in as">
            {me.displayName}
          </span>
          <button type="button" onClick={onSignOut}>
            Log out
          </button>
        </header>
        <div className="workspace" data-view={openChatId ? 'chat' : 'list'}>
          <nav className="sidebar" aria-label="Chats">
            <NewChatForm
              client={client}
              onCreated={async (chatId) => {
                await list.reload();
                open(chatId);
              }}
            />
            <ChatList state={list} me={me} openChatId={openChatId} onOpen={open} />
          </nav>
          <main className="chat-pane">
            {openChatId ? (
              <ChatView
                key={openChatId}
                client={client}
                me={me}
                chatId={openChatId}
                chat={openChat}
                presence={list.presence}
                onRead={list.merge}
                onBack={() => open(null)}
              />
            ) : (
              <p className="empty">Choose a chat, or start one with a username.</p>
            )}
          </main>
        </div>
      </div>
    </ConnectionContext.Provider>
  );
}
