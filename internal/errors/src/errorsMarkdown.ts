import { LiveCloseCodes } from './closeCodes';
import { ErrorCodes, type LiveAction, type RequestAction } from './codes';

const REQUEST: Record<RequestAction, string> = {
  retry: 'retry after a backoff (idempotent requests)',
  reauthenticate: 'new token, then retry',
  fail: 'do not retry as is',
};
const LIVE: Record<LiveAction, string> = {
  resubscribe: 'resubscribe with `afterSeq`',
  reauthenticate: 'new token, then resubscribe with `afterSeq`',
  end: 'stream ends',
};

/** `docs/errors.md`, generated from the registry (`npm run docs:errors`; a test fails when the file is stale). */
export function errorsMarkdown(): string {
  const rows = Object.entries(ErrorCodes).map(
    ([code, s]) => `| \`${code}\` | ${s.description} | ${REQUEST[s.request]} | ${LIVE[s.live]} |`,
  );
  const closeRows = Object.entries(LiveCloseCodes).map(
    ([name, s]) => `| ${s.code} | \`${name}\` | ${s.description} | ${LIVE[s.live]} |`,
  );
  return [
    '# Error codes',
    '',
    'Every error a client can cause carries `extensions.code` with one of these values and a message a person can act',
    'on. Anything else is reported as `INTERNAL_SERVER_ERROR` without details (the server logs them). Each code also',
    'says what a client does about it, for a request and for a live subscription; the gateway and the SDK take their',
    'decisions from this table. Generated from `internal/errors/src/codes.ts` and `closeCodes.ts` by',
    '`npm run docs:errors`; do not edit by hand.',
    '',
    '| code | meaning | request | live subscription |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    '## WebSocket close codes (`/graphql`, graphql-transport-ws)',
    '',
    '| code | name | meaning | what a client does |',
    '| --- | --- | --- | --- |',
    ...closeRows,
    '',
    'Any other close (a dropped network, a proxy timeout) is treated like `GoingAway`: reconnect after a backoff and',
    'resubscribe with `afterSeq`.',
    '',
  ].join('\n');
}
