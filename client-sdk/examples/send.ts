import type { ChatClient } from '@chatgraph/sdk';

export async function sendHello(client: ChatClient, chatId: string): Promise<void> {
  // The SDK generates the clientMessageId and retries network failures with the same one, so a retry never
  // creates a second message.
  const message = await client.chat(chatId).send('Hello!');
  console.log(`#${message.seq} sent at ${message.createdAt}`);

  // With your own id (e.g. stored with an outbox entry), resending after an app restart is just as safe.
  const again = await client.sendMessage({ chatId, text: 'Saved draft', clientMessageId: 'draft-7f3a' });
  console.log(again.id);
}
