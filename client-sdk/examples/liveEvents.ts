import type { ChatClient, ChatEvent } from '@chatgraph/sdk';

/** Follows a chat live, resuming after `lastSeen` (e.g. kept in local storage) so nothing is missed or repeated. */
export async function followChat(client: ChatClient, chatId: string, lastSeen?: number): Promise<void> {
  const events = client.chat(chatId).events({
    afterSeq: lastSeen, // omit it to start at the chat's current lastSeq
    onStatus: (status) => console.log(`[${status}]`), // connecting, catching-up, live, reconnecting, closed
  });
  for await (const event of events) {
    render(event);
    localStorage.setItem(`chat:${chatId}:lastSeq`, String(event.seq));
    if (event.type === 'CHAT_UPDATED' && event.title === 'archived') break; // leaving the loop closes the stream
  }
}

function render(event: ChatEvent): void {
  if (event.type === 'MESSAGE_ADDED' && event.message) {
    console.log(`#${event.seq} ${event.message.author.displayName}: ${event.message.text}`);
  }
}
