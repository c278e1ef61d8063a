import { createChatClient } from '@chatgraph/sdk';
import WebSocket from 'ws'; // Node 20 only: browsers (and Node 22+) have a global WebSocket

let token: string | null = null;

export const client = createChatClient({
  url: 'http://127.0.0.1:4000/graphql', // the gateway (or the load balancer in front of the gateways)
  getToken: () => token, // asked for every request and every new WebSocket
  webSocketImpl: WebSocket,
});

// signUp and logIn need no token; keep the one they return.
const auth = await client.logIn({ username: 'alice', password: 'correct horse battery' });
token = auth.token;
console.log(`Signed in as ${auth.user.displayName} until ${auth.expiresAt}`);
