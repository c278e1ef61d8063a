import type { LatencySummary } from '../stats';

/** A closed-loop (fixed concurrency) or open-loop (fixed rate) HTTP run. */
export interface HttpRunRequest {
  type: 'http';
  url: string;
  headers: Record<string, string>;
  body: string;
  mode: 'closed' | 'open';
  /** Closed loop: requests in flight. */
  concurrency?: number;
  /** Open loop: requests per second (latency counts from the scheduled start, so queueing is not hidden). */
  rate?: number;
  durationMs: number;
}

/** What an HTTP run measured. */
export interface HttpRunResult {
  type: 'http';
  completed: number;
  errors: number;
  firstError?: string;
  elapsedMs: number;
  requestsPerSecond: number;
  latency: LatencySummary;
  /** Values at CHART_PERCENTILES. */
  distribution: number[];
}

/** One WebSocket connection and the chats it subscribes to (one subscription per entry). */
export interface LiveConnectionSpec {
  wsUrl: string;
  /** Label the receipts are grouped by (e.g. the gateway instance). */
  label: string;
  token: string;
  chatIds: string[];
}

/** Opens connections and subscribes (graphql-transport-ws). */
export interface LiveSubscribeRequest {
  type: 'subscribe';
  query: string;
  connections: LiveConnectionSpec[];
  /** Connections opened at once. @default 50 */
  parallel?: number;
}

/** Who sends the events of a run, and through which door. */
export interface LiveSender {
  chatId: string;
  /** Through a gateway: the sender's JWT. */
  token?: string;
  /** Straight to the chats subgraph: the sender's user id (the worker signs the identity header). */
  userId?: string;
}

/** Sends messages at a fixed rate and measures send → receipt for every subscription. */
export interface LiveSendRequest {
  type: 'send';
  /** Where sendMessage goes: a gateway's or the chats subgraph's /graphql. */
  url: string;
  via: 'gateway' | 'subgraph';
  senders: LiveSender[];
  rate: number;
  durationMs: number;
  /**
   * How long to wait, after the last send was due, for sends still in flight, and again after that for late receipts.
   * What has not arrived by then is not delivered. @default 3000
   */
  drainMs?: number;
}

/** Latency of one group of subscriptions. */
export interface LabelResult {
  received: number;
  latency: LatencySummary;
  distribution: number[];
}

/** What a send run measured. */
export interface LiveSendResult {
  type: 'send';
  sent: number;
  sendErrors: number;
  firstError?: string;
  expected: number;
  received: number;
  /** Frames that carried GraphQL errors, and subscriptions the server ended. */
  errorFrames: number;
  /** The first such frame of the run (truncated). */
  firstErrorFrame?: string;
  /** Subscribes sent again after a retryable refusal (SERVICE_UNAVAILABLE, SUBSCRIPTION_RESTART), since the start. */
  resubscribes?: number;
  /** Receipts per second during the sending window. */
  deliveriesPerSecond: number;
  latency: LatencySummary;
  distribution: number[];
  /** Time from a send being due to its sendMessage response (the write path alone). */
  sendLatency: LatencySummary;
  byLabel: Record<string, LabelResult>;
  /** CPU seconds this worker used during the run (is the load generator the bottleneck?). */
  workerCpuSeconds: number;
  elapsedMs: number;
}
