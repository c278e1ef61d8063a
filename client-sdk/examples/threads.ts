import type { ChatClient, Message } from '@chatgraph/sdk';

/** Replies in a thread, reacts, pins the question and finds it again by a word of it. */
export async function discuss(client: ChatClient, chatId: string): Promise<Message[]> {
  const question = await client.sendMessage({ chatId, text: 'Who reviews the release notes? @ann' });
  console.log(question.mentions.map((user) => user.username)); // members named as @username: ['ann']

  // A reply names the message it answers; replies to replies join the same thread.
  const answer = await client.sendMessage({ chatId, text: 'I do', replyToId: question.id });
  console.log(answer.threadRootId === question.id); // true

  // Reacting twice with the same emoji is one reaction.
  const reacted = await client.addReaction({ messageId: answer.id, emoji: '👍' });
  console.log(reacted.reactions); // [{ emoji: '👍', count: 1, viewerReacted: true }]

  await client.pinMessage({ messageId: question.id }); // owner and admins of a group; either member of a direct chat
  console.log((await client.pinnedMessages({ chatId })).length);

  // The thread, oldest first (the newest 50 replies by default).
  const replies = await client.threadReplies({ id: question.id });
  console.log(`${replies.nodes.length} replies`);

  // Full-text search in the viewer's chats, newest first; `after: pageInfo.endCursor` for the next page.
  const found = await client.searchMessages({ query: 'release notes', first: 20 });
  return found.nodes;
}
