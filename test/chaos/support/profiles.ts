/** How big and how long a chaos run is. */
export interface ChaosProfile {
  name: 'ci' | 'full';
  /** Group chats with traffic, each with its own sender. */
  chats: number;
  /** Members of each chat; every member follows its chat's events on an SDK client of its own. */
  membersPerChat: number;
  /** Pause between two sends of one chat's sender (its rate is about 1000 / this per second). */
  sendIntervalMs: number;
  /** How long a fault that is healed by the suite lasts (Postgres stopped, a shard refusing, Redis frozen...). */
  outageMs: number;
  /** Subscribers (SDK clients, one WebSocket each) following one chat while a gateway restarts. */
  crowd: number;
  /** Users sharing the crowd's clients. */
  crowdUsers: number;
  /** How long the clients may take to receive every acknowledged message after a fault. */
  recoveryTimeoutMs: number;
}

/** `ci`: the default under Jest (a few minutes); `full`: `npm run chaos`. */
export const PROFILES: Record<ChaosProfile['name'], ChaosProfile> = {
  ci: {
    name: 'ci',
    chats: 4,
    membersPerChat: 2,
    sendIntervalMs: 400,
    outageMs: 2000,
    crowd: 60,
    crowdUsers: 3,
    recoveryTimeoutMs: 60_000,
  },
  full: {
    name: 'full',
    chats: 10,
    membersPerChat: 3,
    sendIntervalMs: 500,
    outageMs: 6000,
    crowd: 1000,
    crowdUsers: 10,
    recoveryTimeoutMs: 120_000,
  },
};

/** The profile named by `CHAOS_PROFILE` (`ci` when unset). */
export function chosenProfile(): ChaosProfile {
  const name = process.env.CHAOS_PROFILE ?? 'ci';
  if (name !== 'ci' && name !== 'full') throw new Error(`CHAOS_PROFILE: ci or full, not ${name}`);
  return PROFILES[name];
}
