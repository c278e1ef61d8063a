import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

/** How a bench process is started. */
export interface BenchProcessOptions {
  name: string;
  /** The script to run with node. */
  script: string;
  /** Arguments after the script. */
  args?: string[];
  /** Extra node flags (`--cpu-prof`, `--expose-gc`, ...). */
  nodeFlags?: string[];
  env: Record<string, string>;
  /** CPU to pin the process to with taskset (null: no pinning). */
  cpu: number | null;
  /** Open an IPC channel (bench-owned scripts answer `memory` requests on it). */
  ipc?: boolean;
}

/** CPU time and resident memory of a process, read from /proc. */
export interface ProcessSample {
  cpuSeconds: number;
  rssBytes: number;
}

const TICKS_PER_SECOND = 100;

let tasksetAvailable: boolean | undefined;

/** Whether `taskset` can pin processes here (it exists and at least two CPUs are usable). */
export function canPin(): boolean {
  if (tasksetAvailable === undefined) {
    tasksetAvailable =
      (fs.existsSync('/usr/bin/taskset') || fs.existsSync('/bin/taskset')) && os.availableParallelism() >= 2;
  }
  return tasksetAvailable;
}

/**
 * One process of the system under test or of the load generators, started with `node` (pinned to a CPU with
 * `taskset` when possible), with its output kept for error messages and its CPU time and memory readable from /proc.
 */
export class BenchProcess {
  readonly child: ChildProcess;
  readonly output: string[] = [];
  private readonly exited: Promise<number | null>;

  constructor(readonly options: BenchProcessOptions) {
    const args = [...(options.nodeFlags ?? []), options.script, ...(options.args ?? [])];
    const pinned = options.cpu !== null && canPin();
    const command = pinned ? 'taskset' : process.execPath;
    const argv = pinned ? ['-c', String(options.cpu), process.execPath, ...args] : args;
    this.child = spawn(command, argv, {
      env: { ...(process.env as Record<string, string>), ...options.env },
      stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer) => {
      this.output.push(String(d));
      if (this.output.length > 200) this.output.splice(0, this.output.length - 200);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** The process id (taskset execs node, so it is node's). */
  get pid(): number {
    return this.child.pid!;
  }

  /** The last lines the process wrote. */
  tail(lines = 30): string {
    return this.output.join('').split('\n').slice(-lines).join('\n');
  }

  /** Whether the process is still running. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** CPU seconds used so far and current RSS. */
  sample(): ProcessSample {
    try {
      const stat = fs.readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
      const status = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      return { cpuSeconds, rssBytes: rssKb * 1024 };
    } catch {
      return { cpuSeconds: Number.NaN, rssBytes: Number.NaN };
    }
  }

  /** Sends a request over IPC and resolves with the first reply of the same type. */
  request<T>(message: { type: string } & Record<string, unknown>, timeoutMs = 600_000): Promise<T> {
    return new Promise((resolve, reject) => {
      if (!this.child.send) return reject(new Error(`${this.options.name} has no IPC channel`));
      const onMessage = (reply: { type: string; error?: string } & T) => {
        if (reply?.type !== message.type) return;
        cleanup();
        if (reply.error) reject(new Error(`${this.options.name}: ${reply.error}`));
        else resolve(reply);
      };
      const onExit = () => {
        cleanup();
        reject(new Error(`${this.options.name} exited during ${message.type}:\n${this.tail()}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.options.name}: no answer to ${message.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
      this.child.send(message);
    });
  }

  /** Waits until `check` resolves true (polled), failing early if the process exits. */
  async waitUntil(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`${this.options.name} exited with ${this.child.exitCode}:\n${this.tail()}`);
      if (await check().catch(() => false)) return;
      if (Date.now() > deadline)
        throw new Error(`${this.options.name} not ready after ${timeoutMs} ms:\n${this.tail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
