/** A user's status as the API reports it. */
export type PresenceStatus = 'ONLINE' | 'AWAY' | 'OFFLINE';

/** The statuses a client may report in a heartbeat. */
export type ReportedStatus = Exclude<PresenceStatus, 'OFFLINE'>;

/** A user's presence at one moment (the `Presence` GraphQL type). */
export interface Presence {
  status: PresenceStatus;
  /** Last heartbeat or `goOffline`; null when the user was never seen (or not within the retention period). */
  lastSeenAt: Date | null;
}

/** True for the three values of `PresenceStatus`. */
export function isPresenceStatus(value: unknown): value is PresenceStatus {
  return value === 'ONLINE' || value === 'AWAY' || value === 'OFFLINE';
}
