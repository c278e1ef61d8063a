// Load generator process (pinned by the bench to another CPU than the system under test): HTTP runs against a
// GraphQL endpoint over keep-alive connections, recording every request's latency. Fixed concurrency (closed loop) is
// autocannon's; a fixed rate (open loop) keeps its own clock, because autocannon's rate limit sends each connection's
// quota for the second in a burst and times each request from when it was sent, which hides the queueing a stalled
// target causes (coordinated omission). Here each request is timed from the moment it was due.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { distribution, summarize } from '../stats';
import type { HttpRunRequest, HttpRunResult } from './protocol';
import { postGraphQL } from './postGraphQL';

const MAX_IN_FLIGHT_OPEN = 2000;
/** How often autocannon checks whether the run is over (its default, 1 s, would overrun short runs). */
const SAMPLE_MS = 50;

/** What a run collects: latencies of the requests that succeeded, and the errors. */
class Tally {
  readonly latencies: number[] = [];
  errors = 0;
  firstError?: string;

  fail(message: string): void {
    this.errors++;
    this.firstError ??= message;
  }

  result(elapsedMs: number): HttpRunResult {
    return {
      type: 'http',
      completed: this.latencies.length,
      errors: this.errors,
      firstError: this.firstError,
      elapsedMs,
      requestsPerSecond: (this.latencies.length * 1000) / elapsedMs,
      latency: summarize(this.latencies),
      distribution: distribution(this.latencies),
    };
  }
}

/** Closed loop: `concurrency` connections, each sending its next request when the previous answered. */
function closedLoop(request: HttpRunRequest): Promise<HttpRunResult> {
  const tally = new Tally();
  const started = performance.now();
  let settle!: (err: Error | null) => void;
  const done = new Promise<HttpRunResult>((resolve, reject) => {
    settle = (err) => (err ? reject(err) : resolve(tally.result(performance.now() - started)));
  });
  const options: autocannon.Options = {
    url: request.url,
    method: 'POST',
    headers: { ...request.headers, 'content-type': 'application/json' },
    body: request.body,
    connections: request.concurrency ?? 1,
    pipelining: 1,
    duration: request.durationMs / 1000,
    sampleInt: SAMPLE_MS,
    // A GraphQL error is an error even with HTTP 200.
    verifyBody: (body) => !String(body).includes('"errors"'),
  };
  const instance = autocannon(options, (err) => settle(err ?? null));
  // autocannon emits `response` for every response, then, at once and before any other response, `reqMismatch` for
  // one whose body failed verifyBody: the latency just recorded is taken back then.
  let lastRecorded = false;
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    lastRecorded = statusCode === 200;
    if (lastRecorded) tally.latencies.push(responseTime);
    else tally.fail(`HTTP ${statusCode}`);
  });
  // (`reqMismatch` is not in autocannon's type declarations; the emitter has it.)
  const emitter: NodeJS.EventEmitter = instance;
  emitter.on('reqMismatch', (body: unknown) => {
    if (!lastRecorded) return; // already counted as an HTTP error
    tally.latencies.pop();
    tally.fail(`GraphQL errors: ${String(body).slice(0, 300)}`);
  });
  instance.on('reqError', (err: Error) => tally.fail(err.message));
  return done;
}

/** Open loop: `rate` requests per second on a fixed schedule, each timed from the moment it was due. */
async function openLoop(request: HttpRunRequest): Promise<HttpRunResult> {
  const tally = new Tally();
  const url = new URL(request.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const rate = request.rate ?? 1;
  const total = Math.floor((rate * request.durationMs) / 1000);
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const scheduled = started + (i * 1000) / rate;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    if (inFlight.size >= MAX_IN_FLIGHT_OPEN) {
      tally.fail('too many requests in flight: the target cannot keep up with this rate');
      continue;
    }
    const p: Promise<void> = postGraphQL(agent, url, request.headers, request.body).then((error) => {
      if (error) tally.fail(error);
      else tally.latencies.push(performance.now() - scheduled);
      inFlight.delete(p);
    });
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  const result = tally.result(performance.now() - started);
  agent.destroy();
  return result;
}

process.on('message', (message: HttpRunRequest) => {
  if (message?.type !== 'http') return;
  (message.mode === 'closed' ? closedLoop(message) : openLoop(message)).then(
    (result) => process.send!(result),
    (err: Error) => process.send!({ type: 'http', error: err.message }),
  );
});
process.on('disconnect', () => process.exit(0));
