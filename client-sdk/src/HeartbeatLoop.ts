import type { ChatGraphError } from './ChatGraphError.ts';
import type { PresenceStatus } from './generated/graphql.ts';

/** The statuses a client reports (`OFFLINE` is `goOffline`'s business). */
export type ReportedStatus = Exclude<PresenceStatus, 'OFFLINE'>;

/** Options of {@link HeartbeatLoop}. */
export interface HeartbeatOptions {
  /** The status to report. @default 'ONLINE' */
  status?: ReportedStatus;
  /** Time between heartbeats; the server marks a user OFFLINE 60 s after the last one. @default 30000 */
  intervalMs?: number;
  /** Called when a heartbeat fails (the loop goes on; the next one may succeed). */
  onError?: (error: ChatGraphError | Error) => void;
}

/**
 * Keeps the viewer's presence up: one heartbeat now, then one every `intervalMs` until `stop()`. A status change
 * (`setStatus('AWAY')`) is sent at once.
 */
export class HeartbeatLoop {
  private status: ReportedStatus;
  private readonly intervalMs: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private inFlight: Promise<void> = Promise.resolve();

  /** @param send sends one heartbeat with the given status. */
  constructor(
    private readonly send: (status: ReportedStatus) => Promise<unknown>,
    private readonly options: HeartbeatOptions = {},
  ) {
    this.status = options.status ?? 'ONLINE';
    this.intervalMs = options.intervalMs ?? 30_000;
    this.beat();
  }

  /** True until `stop()`. */
  get running(): boolean {
    return !this.stopped;
  }

  /** Reports a new status now (and in every heartbeat after). */
  setStatus(status: ReportedStatus): void {
    if (this.stopped || status === this.status) return;
    this.status = status;
    this.beat();
  }

  /** Stops the loop (no heartbeat is sent after it resolves). The user turns OFFLINE when the TTL runs out, or at once with `goOffline()`. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
  }

  private beat(): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.inFlight = this.send(this.status).then(
      () => undefined,
      (err: unknown) => this.options.onError?.(err instanceof Error ? err : new Error(String(err))),
    );
    this.timer = setTimeout(() => this.beat(), this.intervalMs);
  }
}
