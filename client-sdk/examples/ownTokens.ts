import { createChatClient } from '@chatgraph/sdk';
import WebSocket from 'ws';

// An app that manages tokens itself (say, its own backend refreshes them) gives getToken instead of session.
let token: string | null = null;

export const client = createChatClient({
  url: 'http://127.0.0.1:4000/graphql',
  getToken: () => token, // asked for every request and every new WebSocket
  webSocketImpl: WebSocket,
});

const auth = await client.logIn({ username: 'alice', password: 'correct horse battery' });
token = auth.token;
console.log(`Signed in as ${auth.user.displayName} until ${auth.expiresAt}`);

/** Before `expiresAt`: exchange the refresh token for new tokens (the old refresh token stops working). */
export async function refresh(refreshToken: string): Promise<string> {
  const next = await client.refreshSession({ refreshToken });
  token = next.token;
  return next.refreshToken; // keep it for the next refresh
}
