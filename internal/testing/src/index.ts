export { freePort } from './freePort';
export { testConfig } from './testConfig';
export { createTestDatabases, dropTestDatabases } from './createTestDatabases';
export type { TestDatabases } from './createTestDatabases';
export { RedisServer } from './RedisServer';
export { PostgresCluster } from './PostgresCluster';
export { graphqlRequest, subgraphRequester } from './graphqlRequest';
export type { GraphQLResponse, GraphQLRequestOptions } from './graphqlRequest';
