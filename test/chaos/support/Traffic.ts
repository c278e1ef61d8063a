import WebSocket from 'ws';
import { sleep } from '@chatgraph/testing';
import {
  createChatClient,
  type ChatClient,
  type ChatClientOptions,
  type LiveStream,
  type ChatEvent,
  type StreamStatus,
} from '../../../client-sdk/src/index.ts';

/** How an app keeps a message it wants sent: retried (same clientMessageId) for as long as it takes. */
const PATIENT_RETRY = { attempts: 100_000, initialMs: 50, maxMs: 500 };

/** One message a sender got an answer for. */
export interface Ack {
  seq: number;
  text: string;
  /** When the send started (its first attempt). */
  startedAt: number;
  ackedAt: number;
}

/** One event as the app received it. */
export interface Receipt {
  seq: number;
  at: number;
  /** Already received before (the app saw it twice). */
  duplicate: boolean;
  /** Not the next seq after the last one received (and not a duplicate). */
  outOfOrder: boolean;
}

/** A send that failed for good (after the SDK's retries): an error the app would show. */
export interface SendFailure {
  chatId: string;
  at: number;
  code: string;
}

/** A chat's events followed by one SDK client, as an app screen would. */
export class Follower {
  readonly receipts: Receipt[] = [];
  readonly seen = new Set<number>();
  readonly statuses: StreamStatus[] = [];
  /** When each seq arrived. */
  readonly arrivedAt = new Map<number, number>();
  /** Each message's text by seq (events that are not messages have none). */
  readonly texts = new Map<number, string>();
  /** The error that ended the stream, if one did. */
  error: unknown;
  private last: number;
  readonly stream: LiveStream<ChatEvent>;

  constructor(
    readonly client: ChatClient,
    readonly chatId: string,
    /** Follows the events after this seq. */
    readonly from: number,
  ) {
    this.last = from;
    this.stream = client.chat(chatId).subscribe(
      {
        next: (event) => {
          if (event.message?.text != null) this.texts.set(event.seq, event.message.text);
          this.receive(event.seq);
        },
        error: (err) => (this.error = err),
      },
      { afterSeq: from, onStatus: (s) => this.statuses.push(s) },
    );
  }

  private receive(seq: number): void {
    const at = Date.now();
    const duplicate = this.seen.has(seq);
    this.receipts.push({ seq, at, duplicate, outOfOrder: !duplicate && seq !== this.last + 1 });
    if (!duplicate) {
      this.seen.add(seq);
      this.arrivedAt.set(seq, at);
    }
    this.last = Math.max(this.last, seq);
  }

  get status(): StreamStatus | undefined {
    return this.statuses[this.statuses.length - 1];
  }

  close(): void {
    this.stream.close();
  }
}

/** One chat with traffic: a sender sending at a steady pace, and its followers. */
export class ChatTraffic {
  readonly acks: Ack[] = [];
  readonly followers: Follower[] = [];
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private sent = 0;

  constructor(
    readonly id: string,
    readonly index: number,
    /** The chat's owner, who sends. */
    readonly sender: ChatClient,
    private readonly intervalMs: number,
    private readonly failures: SendFailure[],
  ) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const text = `chat ${this.index} message ${this.sent++}`;
        const startedAt = Date.now();
        try {
          const message = await this.sender.chat(this.id).send(text, { retry: PATIENT_RETRY });
          this.acks.push({ seq: message.seq, text, startedAt, ackedAt: Date.now() });
        } catch (err) {
          this.failures.push({ chatId: this.id, at: Date.now(), code: (err as { code?: string }).code ?? String(err) });
        }
        await sleep(this.intervalMs);
      }
    })();
  }

  /** Stops sending; resolves once the send in flight has its answer. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** The seq of the last acknowledged message (0 before any). */
  get lastAcked(): number {
    return this.acks.length ? this.acks[this.acks.length - 1]!.seq : 0;
  }
}

/** SDK clients talking to the stack through HAProxy (and, for one, through a proxy that can stall its socket). */
export class ClientFactory {
  private readonly clients: ChatClient[] = [];
  private counter = 0;

  constructor(
    private readonly url: string,
    private readonly wsUrl: string,
  ) {}

  client(getToken: ChatClientOptions['getToken'], extra: Partial<ChatClientOptions> = {}): ChatClient {
    const client = createChatClient({
      url: this.url,
      wsUrl: this.wsUrl,
      getToken,
      webSocketImpl: WebSocket,
      reconnect: { initialMs: 50, maxMs: 1000 },
      retry: PATIENT_RETRY,
      ...extra,
    });
    this.clients.push(client);
    return client;
  }

  /** Signs a user up; returns their id and token. */
  async user(name: string): Promise<{ id: string; token: string }> {
    const auth = await this.client(() => null).signUp({
      username: `chaos${process.pid}_${this.counter++}_${Date.now().toString(36)}`,
      password: 'correct horse battery',
      displayName: name,
    });
    return { id: auth.user.id, token: auth.token };
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((c) => c.close()));
  }
}
