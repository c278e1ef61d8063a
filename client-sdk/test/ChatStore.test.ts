// The framework-free chat state: history then live events, older pages, pending and failed sends by clientMessageId.
// The client is a stand-in that records calls and lets the test deliver events, as the real stream would.
import { ChatGraphError } from '../src/ChatGraphError.ts';
import { ChatStore, type ChatStoreClient } from '../src/ChatStore.ts';
import type { LiveHandlers } from '../src/LiveStream.ts';
import type { ChatEvent, Message } from '../src/types.ts';

const author = { id: 'u1', username: 'ann', displayName: 'Ann', createdAt: '2026-01-01T00:00:00.000Z', isBot: false };
const message = (seq: number, text = `m${seq}`, clientMessageId = `c${seq}`): Message => ({
  id: `id${seq}`,
  seq,
  text,
  clientMessageId,
  createdAt: '2026-01-01T00:00:00.000Z',
  editedAt: null,
  deleted: false,
  author,
  chat: { id: 'chat' },
  replyToId: null,
  threadRootId: null,
  replyCount: 0,
  pinned: false,
  mentions: [],
  reactions: [],
});
const event = (type: ChatEvent['type'], seq: number, m: Message | null): ChatEvent => ({
  seq,
  chatId: 'chat',
  type,
  at: '2026-01-01T00:00:00.000Z',
  title: null,
  emoji: null,
  user: null,
  actor: author,
  message: m,
  member: null,
});
const page = (nodes: Message[], lastSeq: number, startCursor: string | null) => ({
  id: 'chat',
  lastSeq,
  messages: {
    nodes,
    pageInfo: { hasNextPage: false, hasPreviousPage: startCursor !== null, startCursor, endCursor: null },
  },
});
const flush = () => new Promise((r) => setTimeout(r, 0));

function standIn(pages: Array<ReturnType<typeof page>>) {
  const history: Array<{ before?: string | null; last?: number | null }> = [];
  const sends: Array<{ text: string; clientMessageId?: string }> = [];
  const sendAnswers: Array<(clientMessageId: string) => Promise<Message>> = [];
  let handlers: LiveHandlers<ChatEvent> | undefined;
  let afterSeq: number | null | undefined;
  let closed = false;
  const client: ChatStoreClient = {
    chatMessages: async (variables) => {
      history.push({ before: variables.before, last: variables.last });
      return pages.shift()!;
    },
    chatEvents: (variables, h) => {
      afterSeq = variables.afterSeq;
      handlers = h;
      return { close: () => (closed = true) };
    },
    sendMessage: (variables) => {
      sends.push({ text: variables.text, clientMessageId: variables.clientMessageId });
      return sendAnswers.shift()!(variables.clientMessageId!);
    },
  };
  return {
    client,
    history,
    sends,
    sendAnswers,
    live: () => handlers!,
    afterSeq: () => afterSeq,
    closed: () => closed,
  };
}

describe('ChatStore', () => {
  it('reads the newest page, then follows events after it; a message shows once whatever arrives twice', async () => {
    const s = standIn([page([message(4), message(5)], 6, 'cursor-4')]);
    const store = new ChatStore(s.client, 'chat', { pageSize: 2 });
    let changes = 0;
    store.subscribe(() => changes++);
    store.start();
    await flush();
    expect(s.history).toEqual([{ before: undefined, last: 2 }]);
    expect(s.afterSeq()).toBe(6);
    let snap = store.getSnapshot();
    expect(snap.messages.map((m) => m.seq)).toEqual([4, 5]);
    expect(snap).toMatchObject({ loading: false, hasOlder: true, newestSeq: 6 });

    s.live().next(event('MESSAGE_ADDED', 7, message(7)));
    s.live().next(event('MESSAGE_EDITED', 8, { ...message(5), text: 'edited' }));
    s.live().next(event('MESSAGE_EDITED', 9, { ...message(1), text: 'not loaded' }));
    s.live().status!('live');
    snap = store.getSnapshot();
    expect(snap.messages.map((m) => [m.seq, m.text])).toEqual([
      [4, 'm4'],
      [5, 'edited'],
      [7, 'm7'],
    ]);
    expect(snap).toMatchObject({ newestSeq: 9, status: 'live' });
    expect(changes).toBeGreaterThan(0);
    store.close();
    expect(s.closed()).toBe(true);
  });

  it('pages back from the oldest message read, once at a time, until there is nothing older', async () => {
    const s = standIn([
      page([message(4), message(5)], 5, 'cursor-4'),
      page([message(2), message(3)], 5, 'cursor-2'),
      page([message(1)], 5, null),
    ]);
    const store = new ChatStore(s.client, 'chat', { pageSize: 2 });
    store.start();
    await flush();
    await Promise.all([store.loadOlder(), store.loadOlder()]);
    expect(store.getSnapshot().messages.map((m) => m.seq)).toEqual([2, 3, 4, 5]);
    await store.loadOlder();
    await store.loadOlder();
    expect(s.history.map((h) => h.before)).toEqual([undefined, 'cursor-4', 'cursor-2']);
    expect(store.getSnapshot().messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(store.getSnapshot().hasOlder).toBe(false);
  });

  it('keeps a send pending until confirmed; a failed one is retried with the SAME clientMessageId', async () => {
    const s = standIn([page([], 0, null)]);
    const store = new ChatStore(s.client, 'chat');
    store.start();
    await flush();
    s.sendAnswers.push(() => Promise.reject(new ChatGraphError('NETWORK_ERROR', 'offline')));
    const id = store.send('hello');
    expect(store.getSnapshot().pending).toEqual([{ clientMessageId: id, text: 'hello', status: 'sending' }]);
    await flush();
    expect(store.getSnapshot().pending[0]).toMatchObject({ clientMessageId: id, status: 'failed' });

    s.sendAnswers.push((clientMessageId) => Promise.resolve(message(1, 'hello', clientMessageId)));
    store.retry(id);
    expect(store.getSnapshot().pending[0]!.status).toBe('sending');
    await flush();
    expect(s.sends.map((x) => x.clientMessageId)).toEqual([id, id]);
    expect(store.getSnapshot().pending).toEqual([]);
    // Its event arriving after the answer changes nothing.
    s.live().next(event('MESSAGE_ADDED', 1, message(1, 'hello', id)));
    expect(store.getSnapshot().messages.map((m) => [m.seq, m.text])).toEqual([[1, 'hello']]);
  });

  it('reports an error that ends the stream, and tells listeners of every event', async () => {
    const s = standIn([page([], 3, null)]);
    const store = new ChatStore(s.client, 'chat');
    const seen: string[] = [];
    store.onEvent((e) => seen.push(e.type));
    store.start();
    await flush();
    s.live().next(event('MEMBER_ADDED', 4, null));
    s.live().error!(new ChatGraphError('FORBIDDEN', 'You are not a member of this chat.'));
    expect(seen).toEqual(['MEMBER_ADDED']);
    expect(store.getSnapshot()).toMatchObject({ newestSeq: 4, error: { code: 'FORBIDDEN' } });
  });
});
