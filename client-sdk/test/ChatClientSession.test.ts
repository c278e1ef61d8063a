import { createChatClient } from '../src/ChatClient.ts';
import type { Session } from '../src/SessionManager.ts';
import { json, scriptedFetch, type Call } from './support/scriptedFetch.ts';

const user = { id: '1', username: 'ann', displayName: 'Ann', createdAt: '2026-01-01T00:00:00.000Z', isBot: false };
let issued = 0;
/** Tokens as the server issues them (a JWT-shaped access token living 15 minutes). */
function tokens(): Session {
  const iat = Math.floor(Date.now() / 1000);
  const claims = Buffer.from(JSON.stringify({ sub: '1', sid: '2', iat, exp: iat + 900 })).toString('base64url');
  const n = issued++;
  return {
    token: `h.${claims}.access${n}`,
    expiresAt: new Date((iat + 900) * 1000).toISOString(),
    refreshToken: `crt_2.refresh${n}`,
    refreshExpiresAt: new Date(Date.now() + 14 * 86400_000).toISOString(),
    user,
  };
}
const me = { me: { ...user, presence: null } };
const refused = (reason: string) =>
  json(401, { errors: [{ message: 'refused', extensions: { code: 'UNAUTHENTICATED', reason } }] });
const auth = (call: Call) => call.headers.authorization;

describe('ChatClient with a session', () => {
  it('signs in with logIn (sent without a token) and uses the session for every later request', async () => {
    const session = tokens();
    const seen: Array<Session | null> = [];
    const { fetch, calls } = scriptedFetch([
      () => json(200, { data: { logIn: session } }),
      () => json(200, { data: me }),
    ]);
    const client = createChatClient({ url: 'http://gw/graphql', fetch, session: { onSession: (s) => seen.push(s) } });
    expect(client.signedIn).toBe(false);
    await client.logIn({ username: 'ann', password: 'pw' });
    expect(client.signedIn).toBe(true);
    expect(client.session).toEqual(session);
    await client.me();
    expect(calls.map(auth)).toEqual([undefined, `Bearer ${session.token}`]);
    expect(seen).toEqual([session]);
  });

  it('refreshes once when the gateway refuses the token, and sends the request again with the new one', async () => {
    const first = tokens();
    const second = tokens();
    const { fetch, calls } = scriptedFetch([
      () => json(200, { data: { logIn: first } }),
      () => refused('revoked'),
      () => json(200, { data: { refreshSession: second } }),
      () => json(200, { data: me }),
    ]);
    const client = createChatClient({ url: 'http://gw/graphql', fetch, session: {} });
    await client.logIn({ username: 'ann', password: 'pw' });
    expect(await client.me()).toMatchObject({ id: '1' });
    expect(calls.map((c) => [c.body.operationName, auth(c)])).toEqual([
      ['LogIn', undefined],
      ['Me', `Bearer ${first.token}`],
      ['RefreshSession', undefined],
      ['Me', `Bearer ${second.token}`],
    ]);
    expect(calls[2]!.body.variables).toEqual({ refreshToken: first.refreshToken });
  });

  it('gives up after one refresh: a token refused again is UNAUTHENTICATED, with no loop', async () => {
    const { fetch, calls } = scriptedFetch([
      () => json(200, { data: { logIn: tokens() } }),
      () => refused('revoked'),
      () => json(200, { data: { refreshSession: tokens() } }),
      () => refused('revoked'),
    ]);
    const client = createChatClient({ url: 'http://gw/graphql', fetch, session: {} });
    await client.logIn({ username: 'ann', password: 'pw' });
    await expect(client.me()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(calls).toHaveLength(4);
  });

  it('a refused refresh signs the client out: onSession(null), and requests fail with UNAUTHENTICATED', async () => {
    const seen: Array<Session | null> = [];
    const { fetch } = scriptedFetch([
      () => refused('session_revoked'),
      () => json(200, { data: { me: null }, errors: [{ message: 'x', extensions: { code: 'UNAUTHENTICATED' } }] }),
    ]);
    const client = createChatClient({
      url: 'http://gw/graphql',
      fetch,
      session: { refreshToken: 'crt_2.stored', onSession: (s) => seen.push(s) },
    });
    await expect(client.me()).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: /sign in again/ });
    expect(seen).toEqual([null]);
    expect(client.signedIn).toBe(false);
    // Signed out now: the next request goes without a token (and the server says what it says).
    await expect(client.me()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('logOut ends the session on the server, then here; an already ended session is logged out too', async () => {
    const seen: Array<Session | null> = [];
    const { fetch, calls } = scriptedFetch([
      () => json(200, { data: { logIn: tokens() } }),
      () => json(200, { data: { logOut: true } }),
      () => json(200, { data: { logIn: tokens() } }),
      () => refused('revoked'),
      () => refused('session_revoked'),
    ]);
    const client = createChatClient({ url: 'http://gw/graphql', fetch, session: { onSession: (s) => seen.push(s) } });
    await client.logIn({ username: 'ann', password: 'pw' });
    expect(await client.logOut()).toBe(true);
    expect(calls[1]!.body.operationName).toBe('LogOut');
    expect(client.signedIn).toBe(false);
    await client.logIn({ username: 'ann', password: 'pw' });
    expect(await client.logOut()).toBe(true);
    expect(client.signedIn).toBe(false);
    expect(seen.map((s) => s !== null)).toEqual([true, false, true, false]);
  });

  it('takes either getToken or session, not both', () => {
    expect(() => createChatClient({ url: 'http://gw/graphql', getToken: () => 't', session: {} })).toThrow(TypeError);
  });
});
