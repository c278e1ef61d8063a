/**
 * Rate limits far above anything a load-generating run sends (the bench, the durability and chaos suites send
 * hundreds of messages per second per user and open many sockets from one address): those runs measure delivery, not
 * the limits. Every limit is still checked in Redis on every call, as deployed. Tests of the limits themselves use the
 * defaults.
 */
export const LOAD_RATE_LIMITS: Readonly<Record<string, string>> = Object.freeze({
  RATE_LIMIT_LOGIN_USER: '1000/1s..1s',
  RATE_LIMIT_LOGIN_ADDRESS: '100000000/1s',
  RATE_LIMIT_SIGNUP_ADDRESS: '100000000/1s',
  RATE_LIMIT_MESSAGE_USER: '100000000/1s',
  RATE_LIMIT_MESSAGE_CHAT: '100000000/1s',
  RATE_LIMIT_MEMBERSHIP_USER: '100000000/1s',
  RATE_LIMIT_TYPING: '100000000/1s',
  RATE_LIMIT_SOCKET_USER: '100000000/1s',
  RATE_LIMIT_SOCKET_ADDRESS: '100000000/1s',
  RATE_LIMIT_API_TOKEN: '100000000/1s',
  PASSWORD_HASH_QUEUE: '10000',
});
