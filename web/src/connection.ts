import { createContext, useContext, useSyncExternalStore } from 'react';
import type { LiveStream, StreamStatus } from '@chatgraph/sdk';

/** What the connection banner says. */
export type ConnectionState = 'connecting' | 'reconnecting' | 'catching-up' | 'live' | 'offline';

/**
 * The statuses of the page's live streams (chat list activity, the open chat, notifications), as one state: any stream
 * reconnecting means the page is reconnecting; any catching up (replaying what it missed) means catching up; all live
 * means live.
 */
export class ConnectionMonitor {
  private readonly statuses = new Map<string, StreamStatus>();
  private readonly listeners = new Set<() => void>();
  private state: ConnectionState = 'connecting';

  /** Follows a stream's status under `name` until it closes or the returned function is called. */
  watch(name: string, stream: LiveStream<unknown>): () => void {
    this.set(name, stream.status);
    const stop = stream.onStatus((status) => (status === 'closed' ? this.remove(name) : this.set(name, status)));
    return () => {
      stop();
      this.remove(name);
    };
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getState = (): ConnectionState => this.state;

  /** Sets the status reported under `name` (for state that follows a stream of its own, like the SDK's ChatStore). */
  set(name: string, status: StreamStatus): void {
    this.statuses.set(name, status);
    this.update();
  }

  /** Forgets what was reported under `name`. */
  remove(name: string): void {
    this.statuses.delete(name);
    this.update();
  }

  private update(): void {
    const all = [...this.statuses.values()];
    const next: ConnectionState = all.includes('reconnecting')
      ? 'reconnecting'
      : all.includes('connecting')
        ? 'connecting'
        : all.includes('catching-up')
          ? 'catching-up'
          : all.length && all.every((s) => s === 'live')
            ? 'live'
            : 'offline';
    if (next === this.state) return;
    this.state = next;
    for (const listener of this.listeners) listener();
  }
}

export const ConnectionContext = createContext<ConnectionMonitor | null>(null);

/** The page's connection state. */
export function useConnectionState(): ConnectionState {
  const monitor = useConnectionMonitor();
  return useSyncExternalStore(monitor.subscribe, monitor.getState);
}

/** The page's connection monitor. */
export function useConnectionMonitor(): ConnectionMonitor {
  const monitor = useContext(ConnectionContext);
  if (!monitor) throw new Error('useConnectionMonitor needs a ConnectionContext provider');
  return monitor;
}
