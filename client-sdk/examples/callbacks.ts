import type { ChatClient } from '@chatgraph/sdk';

/** The callback form of the same stream; call the returned function to stop. */
export function watchChat(client: ChatClient, chatId: string): () => void {
  const stream = client.chat(chatId).subscribe({
    next: (event) => console.log(event.seq, event.type),
    status: (status) => console.log(status),
    error: (error) => console.error(`stream ended: ${error.code}`), // e.g. FORBIDDEN after removal from the chat
  });
  return () => stream.close();
}
