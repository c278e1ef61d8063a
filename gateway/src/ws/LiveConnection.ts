import { GraphQLError } from 'graphql';
import { GRAPHQL_TRANSPORT_WS_PROTOCOL, MessageType, parseMessage, type SubscribePayload } from 'graphql-ws';
import type { WebSocket } from 'ws';
import type { TokenScope } from '@chatgraph/auth';
import { LiveCloseCodes, type CloseCodeSpec } from '@chatgraph/errors';
import type { Principal } from '../auth/Authenticator';
import type { LiveIterator } from '../subscriptions/LiveSubscriber';
import type { PreSerialized } from '../subscriptions/PreSerialized';
import { corkUntilNextTurn } from './corkUntilNextTurn';
import { DirectNextWriter } from './DirectNextWriter';
import type { TrackedConnection } from './SessionSockets';

/** What a {@link LiveConnection} asks of the server it belongs to: who the client is, and what a subscribe runs. */
export interface LiveConnectionHooks {
  /**
   * `connection_init` with its payload: resolves true to acknowledge. A hook that refuses closes the socket itself,
   * with the close code that says why.
   */
  connect(connection: LiveConnection, params: Record<string, unknown>): Promise<boolean>;
  /** `subscribe`: the running iterator, or the errors the operation's `error` message carries. */
  subscribe(
    connection: LiveConnection,
    id: string,
    payload: SubscribePayload,
  ): Promise<LiveIterator | readonly GraphQLError[]>;
  /** The socket closed; every operation of the connection has been ended. */
  closed(connection: LiveConnection): void;
  /** A protocol violation or a failure, for the debug log. */
  debug(detail: object, message: string): void;
}

/** The longest close reason a close frame carries (125 bytes less the code). */
const MAX_CLOSE_REASON_BYTES = 123;

/** An operation whose subscribe is still being set up: a new object each time, so a reused id is told apart. */
interface Setup {
  readonly settingUp: true;
}

/**
 * The server side of one `graphql-transport-ws` connection (the protocol graphql-ws's clients and our SDK speak):
 * `connection_init` once within the allowed time, then `connection_ack`; `ping`/`pong`; `subscribe`, answered by
 * `next` messages and a final `complete` or `error`; `complete` from the client ends an operation. Protocol
 * violations close the socket with graphql-ws's codes (4400, 4401, 4406, 4408, 4409, 4429), so a stock client
 * understands them. Messages are validated by graphql-ws's own `parseMessage`.
 *
 * Why not graphql-ws's server: it runs each subscription as an async function suspended in a `for await` loop for the
 * subscription's whole life, holding the subscribe message's text, its parsed copy, the execution arguments and a
 * chain of promises — about a fifth of what an idle subscription costs the gateway. Here a running subscription is a
 * {@link LiveOperation} (its id, its iterator and the writer of its `next` messages) and one pending `next()`.
 *
 * The object is also the connection the subscription engine counts quotas against, and carries who it belongs to.
 */
export class LiveConnection {
  /** The user whose token `connection_init` carried; unset until it was accepted. */
  viewerId?: string;
  /** The credential accepted at `connection_init`. */
  principal?: Principal;
  /** The scopes of an API token's connection; undefined for a session (every scope). */
  scopes?: TokenScope[];
  /** The socket's entry in the session registry (closed when the session ends). */
  tracked?: TrackedConnection<WebSocket>;
  /** When the token expires (ms since the epoch); unset for a token that does not. */
  expiresAtMs?: number;

  private initReceived = false;
  private acknowledged = false;
  private isClosed = false;
  private initTimer: NodeJS.Timeout | undefined;
  /** Operations by id, created with the first (most sockets carry one subscription). */
  private operations: Map<string, LiveOperation | Setup> | undefined;

  constructor(
    readonly socket: WebSocket,
    private readonly hooks: LiveConnectionHooks,
    initWaitMs: number,
  ) {
    if (socket.protocol !== GRAPHQL_TRANSPORT_WS_PROTOCOL) {
      this.close(LiveCloseCodes.SubprotocolNotAcceptable, 'Subprotocol not acceptable');
      return;
    }
    if (initWaitMs > 0 && Number.isFinite(initWaitMs)) {
      this.initTimer = setTimeout(() => {
        this.initTimer = undefined;
        if (!this.initReceived)
          this.close(LiveCloseCodes.ConnectionInitialisationTimeout, 'Connection initialisation timeout');
      }, initWaitMs);
    }
  }

  /** One text frame from the client. Anything that is not a valid message closes the socket with 4400. */
  receive(data: string): void {
    // After a close began (a protocol violation, a refused subprotocol), nothing the client sends is acted on.
    if (this.socket.readyState !== this.socket.OPEN) return;
    try {
      this.handle(data);
    } catch (err) {
      // Whatever a frame makes fail synchronously (not valid JSON, not a protocol message, a pong echoing a payload
      // nested too deep to serialize) is the client's doing: it closes that socket, never the process.
      this.hooks.debug({ err: (err as Error).message }, 'bad websocket message');
      this.close(LiveCloseCodes.BadRequest, 'Invalid message received');
    }
  }

  /** One frame, parsed and acted on; throws for anything that is not a valid message (see {@link receive}). */
  private handle(data: string): void {
    const message = parseMessage(data);
    switch (message.type) {
      case MessageType.ConnectionInit:
        this.guard(this.init(message.payload));
        return;
      case MessageType.Ping:
        this.send(message.payload ? { type: MessageType.Pong, payload: message.payload } : { type: MessageType.Pong });
        return;
      case MessageType.Pong:
        return;
      case MessageType.Subscribe:
        this.guard(this.subscribe(message.id, message.payload));
        return;
      case MessageType.Complete:
        this.complete(message.id);
        return;
      default:
        // Messages only a server sends (connection_ack, next, error).
        this.hooks.debug({ type: message.type }, 'bad websocket message');
        this.close(LiveCloseCodes.BadRequest, 'Invalid message received');
    }
  }

  /** The socket closed: ends every operation (no message is sent any more) and tells the server. */
  onClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.initTimer) clearTimeout(this.initTimer);
    const operations = this.operations;
    this.operations = undefined;
    if (operations) for (const operation of operations.values()) if (operation instanceof LiveOperation) end(operation);
    this.hooks.closed(this);
  }

  /** Closes the socket (a no-op once it is closing); a reason longer than a close frame allows is cut. */
  close(spec: CloseCodeSpec, reason: string): void {
    this.socket.close(spec.code, closeReason(reason));
  }

  /** Whether `operation` still runs under its id (not completed by the client, socket open). */
  isCurrent(operation: LiveOperation): boolean {
    return this.operations?.get(operation.id) === operation;
  }

  /** The operation's iterator ended on its own: `complete` for the client. */
  finish(operation: LiveOperation): void {
    if (!this.isCurrent(operation)) return;
    this.forget(operation.id);
    this.send({ id: operation.id, type: MessageType.Complete });
  }

  /** The operation's iterator failed: its error is the operation's final `error` message, extensions included. */
  fail(operation: LiveOperation, err: unknown): void {
    if (!this.isCurrent(operation)) return;
    this.forget(operation.id);
    const original = err instanceof Error ? err : new Error(String(err));
    this.sendErrors(operation.id, [new GraphQLError(original.message, { originalError: original })]);
  }

  /** An operation whose step could not be sent: ended, and the socket closed with 4500 (the client resubscribes). */
  brokenOperation(operation: LiveOperation, err: unknown): void {
    this.hooks.debug({ err: (err as Error).message }, 'live operation failed');
    if (this.isCurrent(operation)) this.forget(operation.id);
    end(operation);
    this.close(LiveCloseCodes.InternalServerError, 'Internal server error');
  }

  private async init(payload: unknown): Promise<void> {
    if (this.initReceived) {
      this.close(LiveCloseCodes.TooManyInitialisationRequests, 'Too many initialisation requests');
      return;
    }
    this.initReceived = true;
    if (this.initTimer) {
      clearTimeout(this.initTimer);
      this.initTimer = undefined;
    }
    const params = typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : {};
    if (!(await this.hooks.connect(this, params))) {
      this.close(LiveCloseCodes.Forbidden, 'Forbidden');
      return;
    }
    if (this.isClosed) return;
    this.acknowledged = true;
    this.send({ type: MessageType.ConnectionAck });
  }

  private async subscribe(id: string, payload: SubscribePayload): Promise<void> {
    if (!this.acknowledged) {
      this.close(LiveCloseCodes.Unauthorized, 'Unauthorized');
      return;
    }
    const operations = (this.operations ??= new Map());
    if (operations.has(id)) {
      this.close(LiveCloseCodes.SubscriberAlreadyExists, `Subscriber for ${id} already exists`);
      return;
    }
    const setup: Setup = { settingUp: true };
    operations.set(id, setup);
    let result: LiveIterator | readonly GraphQLError[];
    let ours = false;
    try {
      result = await this.hooks.subscribe(this, id, payload);
    } finally {
      // Unless the client completed the id (or closed) meanwhile, the slot is still this setup's.
      ours = this.operations?.get(id) === setup;
      if (ours) this.operations!.delete(id);
    }
    if (isErrorList(result)) {
      if (ours) this.sendErrors(id, result);
      return;
    }
    // Completed or closed while it was set up: nothing was promised, end it quietly.
    if (!ours) {
      void result.return?.();
      return;
    }
    const operation = new LiveOperation(this, id, result);
    this.operations!.set(id, operation);
    result.writeDirectly(operation);
    operation.pull();
  }

  private complete(id: string): void {
    const operation = this.operations?.get(id);
    if (!operation) return;
    this.forget(id);
    if (operation instanceof LiveOperation) end(operation);
  }

  /** Drops an operation's entry, and the map with its last one. */
  private forget(id: string): void {
    this.operations!.delete(id);
    if (this.operations!.size === 0) this.operations = undefined;
  }

  private sendErrors(id: string, errors: readonly GraphQLError[]): void {
    this.hooks.debug({ errors: errors.map((e) => e.message) }, 'subscription error sent');
    this.send({ id, type: MessageType.Error, payload: errors.map((e) => e.toJSON()) });
  }

  private send(message: object): void {
    const { socket } = this;
    if (socket.readyState !== socket.OPEN) return;
    // Serialized before anything is written: a message that cannot be (an error's odd extensions) throws here.
    const text = JSON.stringify(message);
    corkUntilNextTurn(socket);
    socket.send(text);
  }

  /** A handler that failed unexpectedly (a bug, not the client's doing): logged, and the client told to retry. */
  private guard(work: Promise<void>): void {
    work.catch((err: unknown) => {
      this.hooks.debug({ err: (err as Error).message }, 'websocket message failed');
      this.close(LiveCloseCodes.InternalServerError, 'Internal server error');
    });
  }
}

/**
 * One running subscription: writes its live events straight to the socket while it can (see DirectNextWriter) and
 * otherwise takes them from its iterator one at a time, the next only once the last was handed to the kernel — so
 * a slow reader is paced by its socket, and its iterator's queue closes it when it falls too far behind.
 */
export class LiveOperation extends DirectNextWriter {
  constructor(
    private readonly connection: LiveConnection,
    id: string,
    readonly iterator: LiveIterator,
  ) {
    super(connection.socket, id);
  }

  /** Waits for the iterator's next event (pending while events are written directly). */
  pull(): void {
    this.iterator.next().then(this.onStep, this.onFailure).catch(this.onBroken);
  }

  private readonly onStep = (step: IteratorResult<PreSerialized>): void => {
    if (!this.connection.isCurrent(this)) return;
    if (step.done) this.connection.finish(this);
    else this.writePaced(step.value, this.onWritten);
  };

  private readonly onWritten = (err?: Error): void => {
    // A failed write means the socket is closing: its close ends the operation.
    if (!err) this.pull();
  };

  private readonly onFailure = (err: unknown): void => this.connection.fail(this, err);

  /** Sending the step failed (a bug, not the client's doing): the operation ends, the client is told to retry. */
  private readonly onBroken = (err: unknown): void => {
    this.connection.brokenOperation(this, err);
  };
}

/** `reason` as a close frame can carry it: cut (with an ellipsis) when longer than 123 bytes of UTF-8. */
function closeReason(reason: string): string {
  if (Buffer.byteLength(reason) <= MAX_CLOSE_REASON_BYTES) return reason;
  let cut = reason.slice(0, MAX_CLOSE_REASON_BYTES - 3);
  while (Buffer.byteLength(cut) > MAX_CLOSE_REASON_BYTES - 3) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** Ends an operation's iterator; a failure to end it is not the socket's business. */
function end(operation: LiveOperation): void {
  try {
    void operation.iterator.return?.()?.catch(() => undefined);
  } catch {
    // the iterator is gone either way
  }
}

/** Whether a hook's answer is the errors to send rather than its result. */
export function isErrorList<T>(value: T | readonly GraphQLError[]): value is readonly GraphQLError[] {
  return Array.isArray(value);
}
