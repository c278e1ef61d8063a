import type { PresenceStatus } from '@chatgraph/sdk';

const LABEL: Record<PresenceStatus, string> = { ONLINE: 'online', AWAY: 'away', OFFLINE: 'offline' };

/** A coloured dot with its meaning for screen readers. */
export function PresenceDot({ status }: { status: PresenceStatus | undefined }) {
  const s = status ?? 'OFFLINE';
  return <span className="presence" data-status={s} role="img" aria-label={LABEL[s]} title={LABEL[s]} />;
}
