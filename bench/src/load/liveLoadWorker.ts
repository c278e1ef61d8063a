// Live load process (pinned by the bench to another CPU than the gateway): many graphql-transport-ws connections with
// subscriptions, a sender that posts sendMessage at a fixed rate, and send → receipt latency for every subscription.
// The client is minimal on purpose (no JSON parsing of frames) so that it is not the bottleneck.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { IDENTITY_HEADER, IdentitySigner } from '@chatgraph/auth';
import { distribution, summarize } from '../stats';
import { postGraphQL } from './postGraphQL';
import type {
  LabelResult,
  LiveConnectionSpec,
  LiveSendRequest,
  LiveSendResult,
  LiveSubscribeRequest,
} from './protocol';

interface OpenConnection {
  socket: WebSocket;
  label: string;
}

const connections: OpenConnection[] = [];
/** Subscriptions per chat (how many receipts one event should produce). */
const perChat = new Map<string, number>();
let errorFrames = 0;
let firstErrorFrame: string | undefined;

/** The current run: send times by message index, receipts by label. */
let current:
  | { tag: string; sentAt: Map<number, number>; latencies: Map<string, number[]>; received: number; windowEnd: number }
  | undefined;

const TEXT = /"text":"bench (\w+) (\d+)"/;
const ERROR_ID = /"id":"([^"]+)"/;

/** Error codes a client retries (the API's contract): the subscribe is sent again under the same id. */
const RETRYABLE = /"code":"(SERVICE_UNAVAILABLE|SUBSCRIPTION_RESTART)"/;
const RESUBSCRIBE_DELAY_MS = 250;
const MAX_RESUBSCRIBES = 20;
let resubscribes = 0;

function onFrame(label: string, data: WebSocket.RawData, resubscribe: (frame: string) => boolean): void {
  const frame = data.toString();
  // A subscribe refused for a moment (a saturated machine, a reload) is retried, as a client of the API does.
  if (frame.includes('"type":"error"') && RETRYABLE.test(frame) && resubscribe(frame)) return;
  if (frame.includes('"type":"next"')) {
    if (frame.includes('"errors"')) {
      errorFrames++;
      firstErrorFrame ??= frame.slice(0, 600);
    }
    const match = TEXT.exec(frame);
    if (!match || !current || match[1] !== current.tag) return;
    const sent = current.sentAt.get(Number(match[2]));
    if (sent === undefined) return;
    const now = performance.now();
    current.received++;
    let list = current.latencies.get(label);
    if (!list) current.latencies.set(label, (list = []));
    list.push(now - sent);
  } else if (frame.includes('"type":"error"') || frame.includes('"type":"complete"')) {
    errorFrames++;
    firstErrorFrame ??= frame.slice(0, 600);
  }
}

function open(spec: LiveConnectionSpec, query: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(spec.wsUrl, 'graphql-transport-ws');
    /** This connection's subscribe messages by operation id, to send again when refused for a moment. */
    const subscribes = new Map<string, string>();
    const retries = new Map<string, number>();
    let acked = false;
    socket.once('open', () =>
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${spec.token}` } })),
    );
    socket.on('message', (data) => {
      if (!acked) {
        if (!data.toString().includes('connection_ack'))
          return reject(new Error(`no connection_ack: ${data.toString().slice(0, 200)}`));
        acked = true;
        for (const chatId of spec.chatIds) {
          // Operation ids as graphql-ws's client (and so our SDK) makes them: UUIDs. (An integer id, such as a global
          // counter, would make graphql-ws's per-connection table of operations a sparse array: about 1.8 KB more per
          // connection in the gateway, a cost of this client and not of real ones.)
          const id = randomUUID();
          const message = JSON.stringify({ id, type: 'subscribe', payload: { query, variables: { chatId } } });
          subscribes.set(id, message);
          socket.send(message);
          perChat.set(chatId, (perChat.get(chatId) ?? 0) + 1);
        }
        connections.push({ socket, label: spec.label });
        resolve();
        return;
      }
      onFrame(spec.label, data, (frame) => {
        const id = ERROR_ID.exec(frame)?.[1] ?? '';
        const message = subscribes.get(id);
        const tries = retries.get(id) ?? 0;
        if (!message || tries >= MAX_RESUBSCRIBES) return false;
        retries.set(id, tries + 1);
        resubscribes++;
        setTimeout(() => socket.readyState === WebSocket.OPEN && socket.send(message), RESUBSCRIBE_DELAY_MS);
        return true;
      });
    });
    socket.once('error', reject);
    socket.once('close', (code, reason) => {
      if (!acked) reject(new Error(`closed before ack: ${code} ${reason}`));
    });
  });
}

async function subscribe(request: LiveSubscribeRequest): Promise<{ opened: number; subscriptions: number }> {
  const parallel = request.parallel ?? 50;
  let next = 0;
  let subscriptions = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < request.connections.length) {
        const spec = request.connections[next++]!;
        await open(spec, request.query);
        subscriptions += spec.chatIds.length;
      }
    }),
  );
  return { opened: request.connections.length, subscriptions };
}

const SEND =
  'mutation($c: ID!, $t: String!, $m: String!) { sendMessage(chatId: $c, text: $t, clientMessageId: $m) { seq } }';
let runCounter = 0;

async function send(request: LiveSendRequest): Promise<LiveSendResult> {
  const signer =
    request.via === 'subgraph' ? new IdentitySigner({ secret: process.env.GATEWAY_IDENTITY_SECRET! }) : undefined;
  const tag = `r${process.pid}x${runCounter++}`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const url = new URL(request.url);
  const cpuBefore = process.cpuUsage();
  const errorsBefore = errorFrames;
  firstErrorFrame = undefined;
  const run = {
    tag,
    sentAt: new Map<number, number>(),
    latencies: new Map<string, number[]>(),
    received: 0,
    windowEnd: 0,
  };
  current = run;
  let sent = 0;
  let sendErrors = 0;
  let expected = 0;
  let firstError: string | undefined;
  const inFlight = new Set<Promise<void>>();
  const sendLatencies: number[] = [];
  const started = performance.now();
  const total = Math.floor((request.rate * request.durationMs) / 1000);
  for (let i = 0; i < total; i++) {
    const scheduled = started + (i * 1000) / request.rate;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const sender = request.senders[i % request.senders.length]!;
    const body = JSON.stringify({
      query: SEND,
      variables: { c: sender.chatId, t: `bench ${tag} ${i}`, m: `${tag}-${i}` },
    });
    const headers: Record<string, string> = signer
      ? { [IDENTITY_HEADER]: signer.sign({ userId: sender.userId ?? null }, body) }
      : { authorization: `Bearer ${sender.token}` };
    // The clock starts when the send is due: a late send (event loop busy) counts against the latency.
    run.sentAt.set(i, scheduled);
    expected += perChat.get(sender.chatId) ?? 0;
    const p: Promise<void> = postGraphQL(agent, url, headers, body).then((error) => {
      if (error) {
        sendErrors++;
        firstError ??= error;
        expected -= perChat.get(sender.chatId) ?? 0;
      } else {
        sent++;
        sendLatencies.push(performance.now() - scheduled);
      }
      inFlight.delete(p);
    });
    inFlight.add(p);
  }
  // A target that cannot keep up would hold the run for as long as its backlog lasts: give sends in flight at most
  // `drainMs` more; what has not arrived by then counts as not delivered (the result says how many).
  await Promise.race([Promise.all(inFlight), new Promise((r) => setTimeout(r, request.drainMs ?? 3000))]);
  const sendWindowMs = performance.now() - started;
  const receivedInWindow = run.received;
  const drainDeadline = performance.now() + (request.drainMs ?? 3000);
  while (run.received < expected && performance.now() < drainDeadline) await new Promise((r) => setTimeout(r, 20));
  current = undefined;
  agent.destroy();
  const all: number[] = [];
  const byLabel: Record<string, LabelResult> = {};
  for (const [label, list] of run.latencies) {
    for (const v of list) all.push(v);
    byLabel[label] = { received: list.length, latency: summarize(list), distribution: distribution(list) };
  }
  const cpu = process.cpuUsage(cpuBefore);
  return {
    type: 'send',
    sent,
    sendErrors,
    firstError,
    expected,
    received: run.received,
    errorFrames: errorFrames - errorsBefore,
    firstErrorFrame,
    resubscribes,
    deliveriesPerSecond: (receivedInWindow * 1000) / sendWindowMs,
    latency: summarize(all),
    distribution: distribution(all),
    sendLatency: summarize(sendLatencies),
    byLabel,
    workerCpuSeconds: (cpu.user + cpu.system) / 1e6,
    elapsedMs: performance.now() - started,
  };
}

async function closeAll(): Promise<{ closed: number }> {
  const n = connections.length;
  await Promise.all(
    connections.splice(0).map(
      ({ socket }) =>
        new Promise<void>((resolve) => {
          if (socket.readyState === WebSocket.CLOSED) return resolve();
          socket.once('close', () => resolve());
          socket.close(1000);
          setTimeout(() => {
            socket.terminate();
            resolve();
          }, 2000).unref();
        }),
    ),
  );
  perChat.clear();
  return { closed: n };
}

type Message = LiveSubscribeRequest | LiveSendRequest | { type: 'close' };

process.on('message', (message: Message) => {
  const reply = (work: Promise<object>) =>
    work.then(
      (result) => process.send!({ type: message.type, ...result }),
      (err: Error) => process.send!({ type: message.type, error: err.message }),
    );
  if (message?.type === 'subscribe') reply(subscribe(message));
  else if (message?.type === 'send') reply(send(message));
  else if (message?.type === 'close') reply(closeAll());
});
process.on('disconnect', () => process.exit(0));
