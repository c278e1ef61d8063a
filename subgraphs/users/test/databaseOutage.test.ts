import { PostgresCluster, waitUntil } from '@chatgraph/testing';
import { LOG_IN, SIGN_UP, startUsers, type StartedUsers } from './startUsers';

describe('users subgraph: a database outage is a clear, retryable error', () => {
  let pg: PostgresCluster;
  let users: StartedUsers;
  beforeAll(async () => {
    pg = await PostgresCluster.start();
    users = await startUsers({ DATABASE_URL: pg.url });
    const res = await users.request(SIGN_UP, {
      username: 'survivor',
      password: 'password-123',
      displayName: 'Survivor',
    });
    expect(res.errors).toBeUndefined();
  }, 120_000);
  afterAll(async () => {
    // If the test failed while Postgres was down, its databases go away with the cluster anyway.
    await users?.close().catch(() => undefined);
    await pg?.close();
  });

  const lookupQuery = '{ user(id: "123456") { id } }';

  it('answers SERVICE_UNAVAILABLE (not an internal error) while Postgres is down, and recovers after', async () => {
    await pg.stop('immediate');
    const base = users.url.replace(/\/graphql$/, '');

    const logIn = await users.request(LOG_IN, { username: 'survivor', password: 'password-123' });
    expect(logIn.data).toBeNull();
    expect(logIn.errors![0]!.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE' });
    const signUp = await users.request(SIGN_UP, { username: 'newcomer', password: 'password-123', displayName: 'New' });
    expect(signUp.errors![0]!.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE' });
    const lookup = await users.request(lookupQuery);
    expect(lookup.errors![0]!.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE' });
    expect((await fetch(`${base}/ready`)).status).toBe(503);
    expect((await fetch(`${base}/health`)).status).toBe(200);

    await pg.restart();
    // Heals by itself: each shard's breaker lets a probe through shortly after the server is back.
    // (/ready pings every shard, which is also each breaker's probe.)
    await waitUntil('every users shard answers again', async () => (await fetch(`${base}/ready`)).status === 200);
    const again = await users.request(LOG_IN, { username: 'survivor', password: 'password-123' });
    expect(again.errors).toBeUndefined();
  }, 60_000);
});
