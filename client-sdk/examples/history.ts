import type { ChatClient, Message } from '@chatgraph/sdk';

/** The whole history of a chat, newest page first, 50 messages per request. */
export async function loadHistory(client: ChatClient, chatId: string): Promise<Message[]> {
  const chat = client.chat(chatId);
  const messages: Message[] = [];
  let page = await chat.messages({ last: 50 }); // the newest 50, oldest first within the page
  messages.unshift(...page.nodes);
  while (page.pageInfo.hasPreviousPage && page.pageInfo.startCursor) {
    page = await chat.messages({ last: 50, before: page.pageInfo.startCursor });
    messages.unshift(...page.nodes);
  }
  return messages;
}
