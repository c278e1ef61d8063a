import { useConnectionState, type ConnectionState } from '../connection.ts';

const TEXT: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  reconnecting: 'Connection lost. Reconnecting…',
  'catching-up': 'Catching up…',
  live: 'Live',
  offline: 'Offline',
};

/** Says whether what the page shows is live, being caught up after a drop, or waiting for the connection. */
export function ConnectionBanner() {
  const state = useConnectionState();
  return (
    <div className="connection" data-state={state} role="status" aria-live="polite" data-testid="connection">
      {TEXT[state]}
    </div>
  );
}
