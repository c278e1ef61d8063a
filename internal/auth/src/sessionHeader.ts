/**
 * Header the gateway sets on subgraph requests, next to the identity header, with the session id (`sid`) of the
 * request's access token. It says which session `logOut` ends; the users service trusts it only together with a valid
 * identity header and only for the viewer's own sessions, so a forged value cannot end anyone else's session.
 */
export const SESSION_HEADER = 'x-chatgraph-session';
