import type { CallOptions } from './CallOptions.ts';
import type { ChatMessagesQuery, ChatMessagesQueryVariables } from './generated/graphql.ts';
import type { LiveHandlers, StreamStatus } from './LiveStream.ts';
import { newClientMessageId } from './newClientMessageId.ts';
import type { ChatEvent, Message } from './types.ts';

/** What a {@link ChatStore} uses of its client (a `ChatClient` has all of it). */
export interface ChatStoreClient {
  chatMessages(variables: ChatMessagesQueryVariables, options?: CallOptions): Promise<ChatMessagesQuery['chat']>;
  chatEvents(
    variables: { chatId: string; afterSeq?: number | null },
    handlers: LiveHandlers<ChatEvent>,
  ): { close(): void };
  sendMessage(
    variables: { chatId: string; text: string; clientMessageId?: string },
    options?: CallOptions,
  ): Promise<Message>;
}

/** A message sent from here that the server has not confirmed yet, or that failed. */
export interface PendingSend {
  clientMessageId: string;
  text: string;
  status: 'sending' | 'failed';
  /** Why it failed (`status: 'failed'`). */
  error?: unknown;
}

/** What a chat screen shows, at one moment (a new object after every change). */
export interface ChatStoreSnapshot {
  /** The messages read so far, by `seq` (deleted ones included, with `deleted: true`). */
  messages: readonly Message[];
  /** Sends not yet confirmed, and failed ones (retry them with {@link ChatStore.retry}), in the order sent. */
  pending: readonly PendingSend[];
  /** The newest `seq` seen (a message's or another event's): what "read up to here" means. */
  newestSeq: number;
  /** True until the newest page of history is read. */
  loading: boolean;
  /** Whether there are older messages than `messages[0]`. */
  hasOlder: boolean;
  loadingOlder: boolean;
  /** The live stream's status. */
  status: StreamStatus;
  /** An error that ended the stream (e.g. FORBIDDEN after removal from the chat) or failed the first read. */
  error: unknown;
}

/** Options of {@link ChatStore}. */
export interface ChatStoreOptions {
  /** Messages per page of history. @default 30 */
  pageSize?: number;
}

const EMPTY: ChatStoreSnapshot = Object.freeze({
  messages: [],
  pending: [],
  newestSeq: 0,
  loading: true,
  hasOlder: false,
  loadingOlder: false,
  status: 'connecting',
  error: null,
});

/**
 * One chat's state for an app, framework-free: the newest page of history, then every event after it live (exactly
 * once and in order: the SDK's stream resumes after the last `seq` across reconnects), older pages on demand, and sends
 * kept as pending by `clientMessageId` until the server confirms them (a failed one is retried with the same id, so it
 * is never stored twice). `subscribe` and `getSnapshot` fit React's `useSyncExternalStore` (see `@chatgraph/sdk/react`).
 *
 * @example
 * const store = new ChatStore(client, chatId);
 * store.subscribe(() => render(store.getSnapshot()));
 * store.start();
 */
export class ChatStore {
  private snapshot: ChatStoreSnapshot = EMPTY;
  private readonly byseq = new Map<number, Message>();
  private readonly listeners = new Set<() => void>();
  private readonly eventListeners = new Set<(event: ChatEvent) => void>();
  private readonly aborter = new AbortController();
  private olderCursor: string | null = null;
  private stream: { close(): void } | undefined;
  private started = false;
  private closed = false;
  private readonly pageSize: number;

  constructor(
    private readonly client: ChatStoreClient,
    /** The chat's id. */
    readonly chatId: string,
    options: ChatStoreOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 30;
  }

  /** Reads the newest page, then follows the chat live. Called once; `close()` ends it. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.client.chatMessages({ chatId: this.chatId, last: this.pageSize }, { signal: this.aborter.signal }).then(
      (chat) => {
        if (this.closed) return;
        if (!chat) return this.update({ loading: false, error: new Error(`There is no chat ${this.chatId}.`) });
        for (const m of chat.messages.nodes) this.byseq.set(m.seq, m);
        this.olderCursor = chat.messages.pageInfo.hasPreviousPage ? chat.messages.pageInfo.startCursor : null;
        this.update({ loading: false, newestSeq: Math.max(this.snapshot.newestSeq, chat.lastSeq) });
        this.stream = this.client.chatEvents(
          { chatId: this.chatId, afterSeq: chat.lastSeq },
          {
            next: (event) => this.handle(event),
            status: (status) => this.update({ status }),
            error: (error) => this.update({ error }),
          },
        );
      },
      (error: unknown) => {
        if (!this.closed) this.update({ loading: false, error });
      },
    );
  }

  /** Calls `listener` after every change (returns the function that stops it). */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The state now (the same object until something changes). */
  readonly getSnapshot = (): ChatStoreSnapshot => this.snapshot;

  /** Calls `listener` with every live event (members joining, renames...: what the snapshot does not keep). */
  onEvent(listener: (event: ChatEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Reads the page before the oldest message read so far (nothing when there is none or a read is under way). */
  async loadOlder(): Promise<void> {
    if (!this.olderCursor || this.snapshot.loadingOlder || this.closed) return;
    this.update({ loadingOlder: true });
    try {
      const chat = await this.client.chatMessages(
        { chatId: this.chatId, last: this.pageSize, before: this.olderCursor },
        { signal: this.aborter.signal },
      );
      if (this.closed) return;
      for (const m of chat?.messages.nodes ?? []) if (!this.byseq.has(m.seq)) this.byseq.set(m.seq, m);
      this.olderCursor = chat?.messages.pageInfo.hasPreviousPage ? chat.messages.pageInfo.startCursor : null;
      this.update({ loadingOlder: false });
    } catch (error) {
      if (!this.closed) this.update({ loadingOlder: false, error });
    }
  }

  /** Sends a message: pending at once, confirmed when the server has it. Returns its `clientMessageId`. */
  send(text: string): string {
    const clientMessageId = newClientMessageId();
    this.update({ pending: [...this.snapshot.pending, { clientMessageId, text, status: 'sending' }] });
    this.deliver(clientMessageId, text);
    return clientMessageId;
  }

  /** Sends a failed message again, with the same `clientMessageId` (never stored twice). */
  retry(clientMessageId: string): void {
    const send = this.snapshot.pending.find((p) => p.clientMessageId === clientMessageId);
    if (!send || send.status !== 'failed') return;
    this.setPending(clientMessageId, { status: 'sending', error: undefined });
    this.deliver(clientMessageId, send.text);
  }

  /** Forgets a pending or failed send (a send under way may still be stored: its event will show it). */
  discard(clientMessageId: string): void {
    this.update({ pending: this.snapshot.pending.filter((p) => p.clientMessageId !== clientMessageId) });
  }

  /** Puts a message as the server returned it (e.g. from `editMessage` or `deleteMessage`), before its event arrives. */
  apply(message: Message): void {
    this.put(message);
  }

  /** Stops the live stream and any read under way; the snapshot stays as it was. */
  close(): void {
    this.closed = true;
    this.aborter.abort();
    this.stream?.close();
    this.listeners.clear();
    this.eventListeners.clear();
  }

  private deliver(clientMessageId: string, text: string): void {
    this.client.sendMessage({ chatId: this.chatId, text, clientMessageId }).then(
      (message) => this.put(message),
      (error: unknown) => this.setPending(clientMessageId, { status: 'failed', error }),
    );
  }

  private handle(event: ChatEvent): void {
    const message = event.message;
    if (message && (event.type === 'MESSAGE_ADDED' || this.byseq.has(message.seq))) this.put(message, event.seq);
    else this.update({ newestSeq: Math.max(this.snapshot.newestSeq, event.seq) });
    for (const listener of this.eventListeners) listener(event);
  }

  private put(message: Message, eventSeq = message.seq): void {
    if (this.closed) return;
    this.byseq.set(message.seq, message);
    this.update({
      pending: this.snapshot.pending.filter((p) => p.clientMessageId !== message.clientMessageId),
      newestSeq: Math.max(this.snapshot.newestSeq, eventSeq),
    });
  }

  private setPending(clientMessageId: string, change: Partial<PendingSend>): void {
    if (this.closed) return;
    this.update({
      pending: this.snapshot.pending.map((p) => (p.clientMessageId === clientMessageId ? { ...p, ...change } : p)),
    });
  }

  private update(change: Partial<ChatStoreSnapshot>): void {
    const messages = [...this.byseq.values()].sort((a, b) => a.seq - b.seq);
    this.snapshot = { ...this.snapshot, hasOlder: this.olderCursor !== null, ...change, messages };
    for (const listener of this.listeners) listener();
  }
}
