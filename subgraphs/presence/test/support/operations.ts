/** Operations the tests send, as a client (through the gateway) would. */
export const HEARTBEAT =
  'mutation Heartbeat($status: PresenceStatus) { heartbeat(status: $status) { status lastSeenAt } }';
export const GO_OFFLINE = 'mutation { goOffline { status lastSeenAt } }';
/** How the gateway fetches `presence` for a list of users (a member list, the authors of a page of messages). */
export const PRESENCE_OF = `query PresenceOf($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on User { id presence { status lastSeenAt } } }
}`;
export const CAN_WATCH = 'query CanWatch($userIds: [ID!]!) { canWatchPresence(userIds: $userIds) }';

/** `_entities` representations of users. */
export function users(ids: readonly string[]): Array<{ __typename: 'User'; id: string }> {
  return ids.map((id) => ({ __typename: 'User', id }));
}

/** Response shape of {@link PRESENCE_OF}. */
export interface PresenceOfData {
  _entities: Array<{ id: string; presence: { status: string; lastSeenAt: string | null } } | null>;
}
