import { createChatClient, type ChatClient, type Session } from '@chatgraph/sdk';

const REFRESH_TOKEN_KEY = 'chatgraph.refreshToken';

/**
 * A client whose session lives in this browser's local storage: the refresh token survives reloads, and every refresh
 * replaces it. `onSignedOut` runs when the session ends (log out, or a refresh the server refused).
 *
 * Local storage is readable by any script of this origin; the page runs only its own scripts (server.mjs sends a
 * Content-Security-Policy without inline scripts), which is what keeps the token safe.
 */
export function createBrowserClient(gatewayUrl: string, onSignedOut: () => void): ChatClient {
  return createChatClient({
    url: gatewayUrl,
    session: {
      refreshToken: localStorage.getItem(REFRESH_TOKEN_KEY),
      onSession: (session: Session | null) => {
        if (session) localStorage.setItem(REFRESH_TOKEN_KEY, session.refreshToken);
        else {
          localStorage.removeItem(REFRESH_TOKEN_KEY);
          onSignedOut();
        }
      },
    },
    // A browser tab reconnects quickly at first, then backs off (up to 5 s).
    reconnect: { initialMs: 250, maxMs: 5000 },
  });
}
