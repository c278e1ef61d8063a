// One Jest run for every package (`npm test`). TypeScript is transpiled by ts-jest without type checking
// (`npm run typecheck` / `tsc --build` does that once for the whole repo), and workspace packages resolve to their
// sources, so a test never runs stale `dist/` code of another package.
const internal = [
  'manifest',
  'config',
  'ids',
  'errors',
  'logging',
  'metrics',
  'telemetry',
  'auth',
  'pubsub',
  'ratelimit',
  'service',
  'testing',
  'egress',
];

/** @type {import('jest').Config['moduleNameMapper']} */
const moduleNameMapper = {
  '^@chatgraph/db$': '<rootDir>/prisma/src/index.ts',
  '^@chatgraph/gateway$': '<rootDir>/gateway/src/server.ts',
  '^@chatgraph/notifications$': '<rootDir>/subgraphs/notifications/src/server.ts',
  [`^@chatgraph/(${internal.join('|')})$`]: '<rootDir>/internal/$1/src/index.ts',
};

/**
 * CI's short profile (`.ci/run` exports CI=true; CHATGRAPH_FULL_SUITE=1 turns it off), so that a push is checked
 * within CI's 20 minutes on a slow day of this 2-core machine: it leaves out the longest suites that prove operations,
 * packaging and tooling rather than the service's own paths, each of which runs on its own too:
 * - the chaos matrix (`npm run chaos`, the full profile; `npm run test:full` runs the short one);
 * - a shard moved under load (`npm run test:ops`);
 * - the web client in Chromium (`npm run test:web`);
 * - the e-mail digests, whose delays are timed (`npm run test:ops`);
 * - the SDK packed as a tarball and installed (`npm run test:full`);
 * - the bare-machine quickstart, a whole fresh build (`npm run test:bare`);
 * - the compose file inspected with docker-compose (`npm run test:ops`; CI's `compose:check` validates it too);
 * - the benchmark's smoke run (`npm run test:bench`).
 * `npm test` on a developer's machine runs everything.
 */
const shortProfile = process.env.CI === 'true' && process.env.CHATGRAPH_FULL_SUITE !== '1';
const leftOutOfCi = shortProfile
  ? [
      '/test/chaos/chaos\\.test\\.ts$',
      '/test/data/shardMove\\.test\\.ts$',
      '/test/web/webClient\\.test\\.ts$',
      '/test/notifications/email\\.test\\.ts$',
      '/test/sdk/package\\.test\\.ts$',
      '/test/deploy/bareMachine\\.test\\.ts$',
      '/test/deploy/compose\\.test\\.ts$',
      '/test/bench/smoke\\.test\\.ts$',
    ]
  : [];

const project = (displayName, root, extra = {}) => ({
  displayName,
  rootDir: __dirname,
  roots: [`<rootDir>/${root}`],
  testMatch: ['**/test/**/*.test.ts', '**/e2e/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', ...leftOutOfCi],
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }] },
  moduleNameMapper,
  ...extra,
});

/** @type {import('jest').Config} */
module.exports = {
  maxWorkers: 2,
  testTimeout: 60_000,
  projects: [
    ...internal.map((name) => project(name, `internal/${name}`)),
    project('db', 'prisma'),
    project('users', 'subgraphs/users'),
    project('chats', 'subgraphs/chats'),
    project('presence', 'subgraphs/presence'),
    project('notifications', 'subgraphs/notifications'),
    project('notifier', 'workers/notifier'),
    project('gateway', 'gateway'),
    project('e2e', 'test'),
    project('sdk', 'client-sdk'),
  ],
};
