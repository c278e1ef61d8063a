import { createChatClient } from '@chatgraph/sdk';
import WebSocket from 'ws'; // Node 20 only: browsers (and Node 22+) have a global WebSocket

/** Where your app keeps secrets (the platform's keychain, ...): a refresh token is as good as a password. */
declare const secrets: { get(key: string): string | null; set(key: string, value: string | null): void };

export const client = createChatClient({
  url: 'http://127.0.0.1:4000/graphql', // the gateway (or the load balancer in front of the gateways)
  webSocketImpl: WebSocket,
  session: {
    refreshToken: secrets.get('chatgraph.refreshToken'), // signed in since the last run, or null
    // Each refresh replaces the refresh token (the old one stops working): store every new one; null means signed out.
    onSession: (session) => secrets.set('chatgraph.refreshToken', session?.refreshToken ?? null),
  },
});

if (!client.signedIn) await client.logIn({ username: 'alice', password: 'correct horse battery' });
// From here on the SDK refreshes the access token before it expires, and live streams resume across refreshes.
const me = await client.me();
console.log(`Signed in as ${me?.displayName}`);

/** Signs out: the session ends on the server (its tokens stop working on every gateway at once) and here. */
export const signOut = (): Promise<boolean> => client.logOut();
