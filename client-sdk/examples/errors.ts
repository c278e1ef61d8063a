import { ChatGraphError, type ChatClient } from '@chatgraph/sdk';

export async function trySend(client: ChatClient, chatId: string, text: string): Promise<string> {
  try {
    await client.chat(chatId).send(text);
    return 'sent';
  } catch (err) {
    if (!(err instanceof ChatGraphError)) throw err;
    switch (err.code) {
      case 'BAD_USER_INPUT':
        return `fix the ${String(err.extensions.field)}: ${err.message}`;
      case 'FORBIDDEN':
        return 'you are no longer a member of this chat';
      case 'RATE_LIMITED':
        return `slow down: retry in ${Number(err.extensions.retryAfterMs)} ms`;
      case 'NETWORK_ERROR': // already retried a few times, with the same clientMessageId
        return 'offline: try again later';
      default:
        return `failed (${err.code}): ${err.message}`;
    }
  }
}
