import { ErrorCodes } from '@chatgraph/errors';
import { createChatClient } from '../src/ChatClient.ts';
import { CHATGRAPH_ERROR_CODES, ChatGraphError } from '../src/ChatGraphError.ts';
import { MeDocument } from '../src/generated/graphql.ts';
import { json, scriptedFetch } from './support/scriptedFetch.ts';

const message = (clientMessageId: string) => ({
  id: '1',
  seq: 7,
  text: 'hi',
  clientMessageId,
  createdAt: '2026-01-01T00:00:00.000Z',
  editedAt: null,
  deleted: false,
  author: { id: '2', username: 'ann', displayName: 'Ann', createdAt: '2026-01-01T00:00:00.000Z' },
  chat: { id: '3' },
});

describe('ChatClient over HTTP', () => {
  it('sends the operation with the token from getToken() (asked for each request), and none when signed out', async () => {
    let token: string | null = 'first';
    const { fetch, calls } = scriptedFetch([
      () => json(200, { data: { me: null } }),
      () => json(200, { data: { me: null } }),
    ]);
    const client = createChatClient({ url: 'http://gw/graphql', getToken: () => token, fetch });
    expect(await client.me()).toBeNull();
    token = null;
    await client.me();
    expect(calls[0]!.headers.authorization).toBe('Bearer first');
    expect(calls[1]!.headers.authorization).toBeUndefined();
    expect(calls[0]!.body.operationName).toBe('Me');
    expect(calls[0]!.body.query).toContain('me {');
    expect(calls[0]!.headers['content-type']).toBe('application/json');
  });

  it('throws a ChatGraphError with the server code, message, extensions and HTTP status', async () => {
    const { fetch } = scriptedFetch([
      () =>
        json(200, {
          data: null,
          errors: [{ message: 'Text is too long', extensions: { code: 'BAD_USER_INPUT', field: 'text' } }],
        }),
    ]);
    const client = createChatClient({ url: 'http://gw/graphql', getToken: () => 't', fetch });
    const error = await client.sendMessage({ chatId: '3', text: 'x'.repeat(5000) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatGraphError);
    expect(error).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'Text is too long',
      extensions: { field: 'text' },
      status: 200,
    });
  });

  it('returns partial data when the field is there (errors elsewhere do not throw away the result)', async () => {
    const { fetch } = scriptedFetch([
      () =>
        json(200, {
          data: { me: { id: '1', username: 'a', displayName: 'A', createdAt: 'x', presence: null } },
          errors: [{ message: 'presence is down', extensions: { code: 'SERVICE_UNAVAILABLE' } }],
        }),
    ]);
    const client = createChatClient({ url: 'http://gw/graphql', getToken: () => 't', fetch });
    expect(await client.me()).toMatchObject({ id: '1', presence: null });
  });

  it('tells network failures (NETWORK_ERROR) from answers that are not GraphQL (BAD_RESPONSE)', async () => {
    const { fetch } = scriptedFetch([
      () => {
        throw new TypeError('fetch failed');
      },
      () => new Response('<html>502 Bad Gateway</html>', { status: 502 }),
      () => new Response('hello', { status: 200 }),
      () => json(200, { hello: 'world' }),
    ]);
    const client = createChatClient({ url: 'http://gw/graphql', getToken: () => 't', fetch });
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push(await client.request(MeDocument, {}).catch((e: ChatGraphError) => e.code));
    expect(codes).toEqual(['NETWORK_ERROR', 'NETWORK_ERROR', 'BAD_RESPONSE', 'BAD_RESPONSE']);
  });

  it('sendMessage generates a clientMessageId and retries a network failure with the SAME id', async () => {
    const { fetch, calls } = scriptedFetch([
      () => {
        throw new TypeError('socket hang up');
      },
      () => new Response('no gateway', { status: 503 }),
      (call) => json(200, { data: { sendMessage: message(String(call.body.variables.clientMessageId)) } }),
    ]);
    const client = createChatClient({
      url: 'http://gw/graphql',
      getToken: () => 't',
      fetch,
      retry: { initialMs: 1, maxMs: 2 },
    });
    const sent = await client.sendMessage({ chatId: '3', text: 'hi' });
    const ids = calls.map((c) => c.body.variables.clientMessageId);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(sent.clientMessageId).toBe(ids[0]);
  });

  it('sendMessage gives up after its attempts, and never retries what the server refused', async () => {
    const down = () => {
      throw new TypeError('fetch failed');
    };
    const a = scriptedFetch([down, down]);
    const client = createChatClient({
      url: 'http://gw/graphql',
      getToken: () => 't',
      fetch: a.fetch,
      retry: { attempts: 2, initialMs: 1 },
    });
    await expect(client.sendMessage({ chatId: '3', text: 'hi' })).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    expect(a.calls).toHaveLength(2);

    const b = scriptedFetch([
      () => json(200, { data: null, errors: [{ message: 'not a member', extensions: { code: 'FORBIDDEN' } }] }),
    ]);
    const other = createChatClient({
      url: 'http://gw/graphql',
      getToken: () => 't',
      fetch: b.fetch,
      retry: { initialMs: 1 },
    });
    await expect(other.sendMessage({ chatId: '3', text: 'hi' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(b.calls).toHaveLength(1);
  });

  it('every call takes an AbortSignal: aborting cancels its request and the call rejects with the signal’s reason', async () => {
    const signals: Array<AbortSignal | null | undefined> = [];
    // Like the real fetch: pending until aborted, then rejected with the signal's reason.
    const fetch = (_url: string, init: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        signals.push(init.signal);
        init.signal?.addEventListener('abort', () => reject(init.signal!.reason));
      });
    const client = createChatClient({ url: 'http://gw/graphql', getToken: () => 't', fetch });
    const calls: Array<(signal: AbortSignal) => Promise<unknown>> = [
      (signal) => client.me({ signal }),
      (signal) => client.getChat({ id: '3' }, { signal }),
      (signal) => client.chat('3').messages({ last: 10 }, { signal }),
      (signal) => client.chat('3').send('hi', { signal }),
      (signal) => client.request(MeDocument, {}, { signal }),
      (signal) => client.logIn({ username: 'ann', password: 'pw' }, { signal }),
      (signal) => client.notifications.unreadCount({ signal }),
      (signal) => client.integrations.bots({ signal }),
    ];
    for (const call of calls) {
      const controller = new AbortController();
      const pending = call(controller.signal);
      await new Promise((r) => setTimeout(r, 0));
      controller.abort();
      await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
      expect(signals[signals.length - 1]).toBe(controller.signal);
    }
    expect(signals).toHaveLength(calls.length);
  });

  it('an aborted sendMessage stops retrying at once, even while waiting between attempts', async () => {
    const { fetch, calls } = scriptedFetch([
      () => {
        throw new TypeError('socket hang up');
      },
    ]);
    const client = createChatClient({
      url: 'http://gw/graphql',
      getToken: () => 't',
      fetch,
      retry: { initialMs: 60_000, maxMs: 60_000 },
    });
    const controller = new AbortController();
    const pending = client.sendMessage({ chatId: '3', text: 'hi' }, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 10));
    controller.abort(new Error('screen closed'));
    await expect(pending).rejects.toThrow('screen closed');
    expect(calls).toHaveLength(1);
  });

  it('keeps a given clientMessageId', async () => {
    const { fetch, calls } = scriptedFetch([
      (call) => json(200, { data: { sendMessage: message(String(call.body.variables.clientMessageId)) } }),
    ]);
    const client = createChatClient({ url: 'http://gw/graphql', getToken: () => 't', fetch });
    await client.chat('3').send('hi', { clientMessageId: 'draft-42' });
    expect(calls[0]!.body.variables).toEqual({ chatId: '3', text: 'hi', clientMessageId: 'draft-42' });
  });

  it('refuses new live streams once closed (they would never connect)', async () => {
    const client = createChatClient({ url: 'http://gw/graphql', getToken: () => 't', webSocketImpl: class {} });
    await client.close();
    expect(() => client.chat('3').events()).toThrow(/closed/);
  });

  it('refuses a live stream without a WebSocket implementation with a clear TypeError', () => {
    const client = createChatClient({ url: 'http://gw/graphql', getToken: () => 't' });
    if (typeof WebSocket !== 'undefined') return; // Node 22+ and browsers have one
    expect(() => client.chat('3').events()).toThrow(/webSocketImpl/);
  });
});

describe('ChatGraphError codes', () => {
  it('knows every code of the server registry (the list cannot drift from @chatgraph/errors)', () => {
    const sdkCodes = new Set<string>(CHATGRAPH_ERROR_CODES);
    expect(Object.keys(ErrorCodes).filter((code) => !sdkCodes.has(code))).toEqual([]);
  });

  it('retries a request exactly for the codes the server registry marks `retry`, plus network failures', () => {
    const transient = CHATGRAPH_ERROR_CODES.filter((code) => new ChatGraphError(code, '').transient);
    const retryCodes = Object.entries(ErrorCodes)
      .filter(([, spec]) => spec.request === 'retry')
      .map(([code]) => code);
    expect(transient).toEqual([...retryCodes, 'NETWORK_ERROR']);
    expect(transient).toEqual(expect.arrayContaining(['SERVICE_UNAVAILABLE', 'RATE_LIMITED']));
  });

  it('resumes a live stream exactly for the codes the server registry marks `resubscribe`', () => {
    for (const [code, spec] of Object.entries(ErrorCodes)) {
      expect([code, new ChatGraphError(code, '').liveAction]).toEqual([code, spec.live]);
    }
  });
});
