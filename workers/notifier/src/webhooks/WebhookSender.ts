import http from 'node:http';
import https from 'node:https';
import type { EgressGuard } from '@chatgraph/egress';

/** Options of {@link WebhookSender}. */
export interface WebhookSenderOptions {
  /** Where requests may go; its agents keep connections alive and check every address connected to. */
  egress: EgressGuard;
  /** Longest an attempt may take, from the first byte sent to the end of the answer. */
  timeoutMs: number;
}

/** Most answer bytes read (the status is what counts; the rest is drained and dropped). */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * POSTs one delivery: the body with the Standard Webhooks headers, over the egress guard's keep-alive agents (no
 * redirects are followed: a 3xx is a failed attempt). Resolves with the HTTP status; rejects when there is no answer
 * (refused target, connection error, timeout).
 */
export class WebhookSender {
  constructor(private readonly options: WebhookSenderOptions) {}

  async post(target: string, headers: Record<string, string>, body: string): Promise<number> {
    const url = new URL(target);
    this.options.egress.assertUrl(url);
    const request = url.protocol === 'https:' ? https.request : http.request;
    return new Promise<number>((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          agent: this.options.egress.agent(url.protocol === 'https:' ? 'https:' : 'http:'),
          headers: {
            ...headers,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': 'chatgraph-webhooks/1',
          },
        },
        (res) => {
          let read = 0;
          res.on('data', (chunk: Buffer) => {
            read += chunk.length;
            if (read > MAX_ANSWER_BYTES) res.destroy();
          });
          res.on('end', () => finish(null, res.statusCode ?? 0));
          res.on('close', () => finish(null, res.statusCode ?? 0));
          res.on('error', () => finish(null, res.statusCode ?? 0));
        },
      );
      const timer = setTimeout(
        () => req.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`)),
        this.options.timeoutMs,
      );
      let done = false;
      const finish = (err: Error | null, status?: number) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(status!);
      };
      req.on('error', (err) => finish(err));
      req.end(body);
    });
  }
}
