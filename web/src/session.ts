import { createChatClient, type ChatClient, type Session } from '@chatgraph/sdk';

const REFRESH_TOKEN_KEY = 'chatgraph.refreshToken';

/**
 * A client whose session lives in this tab's session storage: the refresh token survives reloads, and every refresh
 * replaces it. `onSignedOut` runs when the session ends (log out, or a refresh the server refused).
 *
 * Per tab, not shared: each refresh replaces the refresh token and the server ends a session whose replaced token is
 * presented again, so two tabs refreshing one shared session would end it. Each tab signs in to a session of its own.
 * The storage is readable by any script of this origin; the page runs only its own scripts (server.mjs sends a
 * Content-Security-Policy without inline scripts), which is what keeps the token safe.
 */
export function createBrowserClient(gatewayUrl: string, onSignedOut: () => void): ChatClient {
  return createChatClient({
    url: gatewayUrl,
    session: {
      refreshToken: sessionStorage.getItem(REFRESH_TOKEN_KEY),
      onSession: (session: Session | null) => {
        if (session) sessionStorage.setItem(REFRESH_TOKEN_KEY, session.refreshToken);
        else {
          sessionStorage.removeItem(REFRESH_TOKEN_KEY);
          onSignedOut();
        }
      },
    },
    // A browser tab reconnects quickly at first, then backs off (up to 5 s).
    reconnect: { initialMs: 250, maxMs: 5000 },
  });
}

/** Forgets this tab's session (after a log out the server could not be told of, it is signed out here all the same). */
export function forgetSession(): void {
  sessionStorage.removeItem(REFRESH_TOKEN_KEY);
}
