import type { CallOptions } from './CallOptions.ts';
import type { ChatClient, ChatEventsOptions, LiveOptions } from './ChatClient.ts';
import { ChatGraphError } from './ChatGraphError.ts';
import { LiveEventIterable } from './LiveEventIterable.ts';
import type { LiveHandlers, LiveStream, StreamStatus } from './LiveStream.ts';
import type { RetryOptions } from './retryTransient.ts';
import type { TypingThrottle } from './TypingThrottle.ts';
import type { ChatDetails, ChatEvent, ChatSummary, Message, MessagePage, TypingEvent } from './types.ts';

/** Options of {@link ChatHandle.events} and {@link ChatHandle.subscribe}. */
export interface ChatStreamOptions extends ChatEventsOptions {
  /** Start after this seq (events with a larger one are delivered). @default the chat's current `lastSeq` */
  afterSeq?: number;
  /** Called on each status change: `connecting`, `catching-up`, `live`, `reconnecting`, `closed`. */
  onStatus?: (status: StreamStatus) => void;
}

/** Which page of the history: the newest 50 by default. */
export interface HistoryPage {
  first?: number;
  after?: string;
  last?: number;
  before?: string;
}

/** One chat, from the viewer's side: `client.chat(chatId)`. */
export class ChatHandle {
  /** @internal created by {@link ChatClient.chat}. */
  constructor(
    private readonly client: ChatClient,
    /** The chat's id. */
    readonly id: string,
    private readonly throttle: () => TypingThrottle,
  ) {}

  /** The chat with its members. */
  get(options: CallOptions = {}): Promise<ChatDetails | null> {
    return this.client.getChat({ id: this.id }, options);
  }

  /** A page of history, oldest first within the page (the newest 50 by default). */
  async messages(page: HistoryPage = {}, options: CallOptions = {}): Promise<MessagePage> {
    const chat = await this.client.chatMessages({ chatId: this.id, ...page }, options);
    if (!chat) throw new ChatGraphError('NOT_FOUND', `There is no chat ${this.id}.`);
    return chat.messages;
  }

  /** Sends a message (idempotent, retried after network failures: see `ChatClient.sendMessage`). */
  send(text: string, options: CallOptions & { clientMessageId?: string; retry?: RetryOptions } = {}): Promise<Message> {
    return this.client.sendMessage(
      { chatId: this.id, text, clientMessageId: options.clientMessageId },
      { retry: options.retry, signal: options.signal },
    );
  }

  /** Moves the viewer's read marker to `seq`. */
  markRead(seq: number, options: CallOptions = {}): Promise<ChatSummary> {
    return this.client.markRead({ chatId: this.id, seq }, options);
  }

  /**
   * The chat's events as an async iterable, exactly once and in order across reconnects (see
   * `ChatClient.chatEvents`). Leave the loop with `break` or call `close()`; an error that ends the stream is thrown
   * by the loop.
   */
  events(options: ChatStreamOptions = {}): LiveEventIterable<ChatEvent> {
    return new LiveEventIterable<ChatEvent>(
      (handlers) => this.client.chatEvents({ chatId: this.id, afterSeq: options.afterSeq }, handlers, options),
      options.onStatus,
    );
  }

  /** The chat's events with callbacks (the same stream as `events()`). */
  subscribe(handlers: LiveHandlers<ChatEvent>, options: ChatStreamOptions = {}): LiveStream<ChatEvent> {
    const stream = this.client.chatEvents({ chatId: this.id, afterSeq: options.afterSeq }, handlers, options);
    if (options.onStatus) stream.onStatus(options.onStatus);
    return stream;
  }

  /** Typing indicators of the members. */
  typing(handlers: LiveHandlers<TypingEvent>, options: LiveOptions = {}): LiveStream<TypingEvent> {
    return this.client.typing({ chatId: this.id }, handlers, options);
  }

  /**
   * Reports whether the viewer is typing; call it on every keystroke with `true`, and with `false` when the input is
   * cleared or sent. Throttled (see `TypingThrottle`): resolves true when a request was sent, false when not needed.
   */
  setTyping(typing: boolean): Promise<boolean> {
    return this.throttle().set(typing);
  }
}
