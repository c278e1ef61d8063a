import path from 'node:path';
import type { StackProcess } from '@chatgraph/testing';
import { CPU, type BenchStack } from './BenchStack';
import { ipcRequest } from './ipcRequest';
import type {
  HttpRunRequest,
  HttpRunResult,
  LiveSendRequest,
  LiveSendResult,
  LiveSubscribeRequest,
} from './load/protocol';
import { BENCH_DIST } from './paths';
import { pinTo } from './pinning';

/** Starts a load generator script as a process of the stack, pinned to the load CPU. */
function startWorker(stack: BenchStack, name: string, script: string): Promise<StackProcess> {
  return stack.processes.spawn({ name, script: path.join(BENCH_DIST, script), wrapper: pinTo(CPU.load) });
}

/** The HTTP load generator process (autocannon for fixed concurrency, its own clock for a fixed rate). */
export class HttpLoad {
  private constructor(
    private readonly stack: BenchStack,
    private readonly proc: StackProcess,
  ) {}

  /** Starts the process. */
  static async start(stack: BenchStack): Promise<HttpLoad> {
    return new HttpLoad(stack, await startWorker(stack, 'http-load', 'load/httpLoadWorker.js'));
  }

  /** Runs one closed- or open-loop run. */
  run(request: Omit<HttpRunRequest, 'type'>): Promise<HttpRunResult> {
    return ipcRequest<HttpRunResult>(this.proc, { type: 'http', ...request });
  }

  /** Ends the process. */
  async close(): Promise<void> {
    await this.stack.processes.stop(this.proc.name, 'SIGTERM', 2000);
  }
}

/** The live-subscription load process (subscribers and sender), pinned to the load CPU. */
export class LiveLoad {
  private constructor(
    private readonly stack: BenchStack,
    private readonly proc: StackProcess,
  ) {}

  /** Starts the process (it signs the identity header with the stack's GATEWAY_IDENTITY_SECRET). */
  static async start(stack: BenchStack): Promise<LiveLoad> {
    return new LiveLoad(stack, await startWorker(stack, 'live-load', 'load/liveLoadWorker.js'));
  }

  /** Opens connections and subscribes. */
  subscribe(request: Omit<LiveSubscribeRequest, 'type'>): Promise<{ opened: number; subscriptions: number }> {
    return ipcRequest(this.proc, { type: 'subscribe', ...request });
  }

  /** Sends at a rate and measures receipts. */
  send(request: Omit<LiveSendRequest, 'type'>): Promise<LiveSendResult> {
    return ipcRequest<LiveSendResult>(this.proc, { type: 'send', ...request });
  }

  /** Closes every connection (the process stays). */
  closeConnections(): Promise<{ closed: number }> {
    return ipcRequest(this.proc, { type: 'close' });
  }

  /** Ends the process. */
  async close(): Promise<void> {
    await this.stack.processes.stop(this.proc.name, 'SIGTERM', 2000);
  }
}
