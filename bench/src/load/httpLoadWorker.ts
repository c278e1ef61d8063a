// Load generator process (pinned by the bench to another CPU than the system under test): closed- and open-loop HTTP
// runs against a GraphQL endpoint, over keep-alive connections, recording every request's latency.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { distribution, summarize } from '../stats';
import type { HttpRunRequest, HttpRunResult } from './protocol';

const MAX_IN_FLIGHT_OPEN = 2000;

function requestOnce(
  agent: http.Agent,
  url: URL,
  headers: Record<string, string>,
  body: string,
): Promise<string | null> {
  return new Promise((resolve) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200)
            return resolve(`HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 300)}`);
          const text = Buffer.concat(chunks).toString();
          resolve(text.includes('"errors"') ? `GraphQL errors: ${text.slice(0, 300)}` : null);
        });
        res.on('error', (err) => resolve(err.message));
      },
    );
    req.on('error', (err) => resolve(err.message));
    req.end(body);
  });
}

async function run(request: HttpRunRequest): Promise<HttpRunResult> {
  const url = new URL(request.url);
  const concurrency = request.concurrency ?? 1;
  const agent = new http.Agent({ keepAlive: true, maxSockets: request.mode === 'closed' ? concurrency : 512 });
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const record = (error: string | null, ms: number) => {
    if (error) {
      errors++;
      firstError ??= error;
    } else latencies.push(ms);
  };
  const started = performance.now();
  const deadline = started + request.durationMs;
  if (request.mode === 'closed') {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline) {
          const t0 = performance.now();
          const error = await requestOnce(agent, url, request.headers, request.body);
          record(error, performance.now() - t0);
        }
      }),
    );
  } else {
    const rate = request.rate ?? 1;
    const total = Math.floor((rate * request.durationMs) / 1000);
    const inFlight = new Set<Promise<void>>();
    for (let i = 0; i < total; i++) {
      const scheduled = started + (i * 1000) / rate;
      const wait = scheduled - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      if (inFlight.size >= MAX_IN_FLIGHT_OPEN) {
        record('too many requests in flight: the target cannot keep up with this rate', 0);
        continue;
      }
      const p: Promise<void> = requestOnce(agent, url, request.headers, request.body).then((error) => {
        record(error, performance.now() - scheduled);
        inFlight.delete(p);
      });
      inFlight.add(p);
    }
    await Promise.all(inFlight);
  }
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return {
    type: 'http',
    completed: latencies.length,
    errors,
    firstError,
    elapsedMs,
    requestsPerSecond: (latencies.length * 1000) / elapsedMs,
    latency: summarize(latencies),
    distribution: distribution(latencies),
  };
}

process.on('message', (message: HttpRunRequest) => {
  if (message?.type !== 'http') return;
  run(message).then(
    (result) => process.send!(result),
    (err: Error) => process.send!({ type: 'http', error: err.message }),
  );
});
process.on('disconnect', () => process.exit(0));
