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
 * CI's short profile (`.ci/run` exports CI=true; CHATGRAPH_FULL_SUITE=1 turns it off): it leaves out the two slowest
 * suites, which prove the tooling rather than the service and have scripts of their own: the bare-machine quickstart
 * (`npm run test:bare`, a whole fresh build) and the benchmark's smoke run (`npm run test:bench`). `npm test` on a
 * developer's machine runs everything.
 */
const shortProfile = process.env.CI === 'true' && process.env.CHATGRAPH_FULL_SUITE !== '1';
const leftOutOfCi = shortProfile ? ['/test/deploy/bareMachine\\.test\\.ts$', '/test/bench/smoke\\.test\\.ts$'] : [];

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
