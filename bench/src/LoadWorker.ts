import path from 'node:path';
import { BenchProcess } from './BenchProcess';
import { CPU } from './BenchStack';
import type {
  HttpRunRequest,
  HttpRunResult,
  LiveSendRequest,
  LiveSendResult,
  LiveSubscribeRequest,
} from './load/protocol';
import { BENCH_DIST } from './paths';

/** The HTTP load generator process, pinned to the load CPU. */
export class HttpLoad {
  private readonly proc = new BenchProcess({
    name: 'http-load',
    script: path.join(BENCH_DIST, 'load/httpLoadWorker.js'),
    env: {},
    cpu: CPU.load,
    ipc: true,
  });

  /** Runs one closed- or open-loop run. */
  run(request: Omit<HttpRunRequest, 'type'>): Promise<HttpRunResult> {
    return this.proc.request<HttpRunResult>({ type: 'http', ...request });
  }

  /** Ends the process. */
  close(): Promise<void> {
    return this.proc.stop(2000);
  }
}

/** The live-subscription load process (subscribers and sender), pinned to the load CPU. */
export class LiveLoad {
  private readonly proc: BenchProcess;

  constructor(identitySecret: string) {
    this.proc = new BenchProcess({
      name: 'live-load',
      script: path.join(BENCH_DIST, 'load/liveLoadWorker.js'),
      env: { GATEWAY_IDENTITY_SECRET: identitySecret },
      cpu: CPU.load,
      ipc: true,
    });
  }

  /** Opens connections and subscribes. */
  subscribe(request: Omit<LiveSubscribeRequest, 'type'>): Promise<{ opened: number; subscriptions: number }> {
    return this.proc.request({ type: 'subscribe', ...request });
  }

  /** Sends at a rate and measures receipts. */
  send(request: Omit<LiveSendRequest, 'type'>): Promise<LiveSendResult> {
    return this.proc.request<LiveSendResult>({ type: 'send', ...request });
  }

  /** Closes every connection (the process stays). */
  closeConnections(): Promise<{ closed: number }> {
    return this.proc.request({ type: 'close' });
  }

  /** Ends the process. */
  close(): Promise<void> {
    return this.proc.stop(2000);
  }
}
