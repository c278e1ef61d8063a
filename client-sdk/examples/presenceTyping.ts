import type { ChatClient } from '@chatgraph/sdk';

export function startChatScreen(client: ChatClient, chatId: string, otherUserIds: string[]) {
  const heartbeat = client.startHeartbeat(); // ONLINE now and every 30 s
  const typing = client.chat(chatId).typing({
    next: (e) => console.log(`${e.user.displayName} ${e.typing ? 'is typing' : 'stopped'}`),
  });
  const presence = client.presenceChanged(
    { userIds: otherUserIds },
    { next: (e) => console.log(`${e.user.displayName} is ${e.status}`) },
  );
  return {
    // Call on every keystroke: the SDK sends "typing" at most every few seconds, and "stopped" after a pause.
    onKeystroke: () => void client.chat(chatId).setTyping(true),
    onIdle: () => heartbeat.setStatus('AWAY'),
    close: async () => {
      typing.close();
      presence.close();
      await heartbeat.stop();
      await client.goOffline();
    },
  };
}
