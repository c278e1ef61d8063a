import { ErrorCodes } from './codes';

/** `docs/errors.md`, generated from the registry (`npm run docs:errors`; a test fails when the file is stale). */
export function errorsMarkdown(): string {
  const rows = Object.entries(ErrorCodes).map(([code, text]) => `| \`${code}\` | ${text} |`);
  return [
    '# Error codes',
    '',
    'Every error a client can cause carries `extensions.code` with one of these values and a message a person can act',
    'on. Anything else is reported as `INTERNAL_SERVER_ERROR` without details (the server logs them). Generated from',
    '`internal/errors/src/codes.ts` by `npm run docs:errors`; do not edit by hand.',
    '',
    '| code | meaning |',
    '| --- | --- |',
    ...rows,
    '',
    '## WebSocket close codes (`/graphql`, graphql-transport-ws)',
    '',
    '| code | meaning | what a client does |',
    '| --- | --- | --- |',
    '| 4401 | missing, invalid or expired token (`Token expired` when it expired while connected) | get a new token, reconnect, resubscribe with `afterSeq` |',
    '| 4400 | a frame that is not a valid protocol message | fix the client; do not retry as is |',
    '| 4403 | refused at `connection_init` | do not retry |',
    '| 4408 | no `connection_init` within 3 s | reconnect |',
    '| 1001 | the gateway is shutting down | reconnect (to any instance), resubscribe with `afterSeq` |',
    '',
    'A single subscription ends with an `error` message whose `extensions.code` is `FORBIDDEN` (access revoked),',
    '`SLOW_CONSUMER`, `SUBSCRIPTION_RESTART`, `LIMIT_EXCEEDED` or `SERVICE_UNAVAILABLE`; the last three are retried by',
    'resubscribing with `afterSeq`.',
    '',
  ].join('\n');
}
