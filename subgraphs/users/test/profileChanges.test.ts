import Redis from 'ioredis';
import { entityChangesChannel } from '@chatgraph/pubsub';
import { TcpProxy, testConfig, waitUntil } from '@chatgraph/testing';
import { SIGN_UP, startUsers, type AuthData, type StartedUsers } from './startUsers';

/**
 * Profile changes reach the gateways' entity caches (the entity-changes channel) even when the users service cannot
 * reach Redis at the moment of the change, while the gateways can (a failover on its side, a broken link).
 */
describe('users subgraph: profile change announcements', () => {
  const redisUrl = testConfig().REDIS_URL;
  let proxy: TcpProxy;
  let users: StartedUsers;
  let listener: Redis;
  const received: Array<{ type: string; id: string }> = [];

  beforeAll(async () => {
    // The service reaches Redis through the proxy; the listener (standing for a gateway) connects directly.
    proxy = await TcpProxy.start(Number(new URL(redisUrl).port));
    users = await startUsers({ REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
    listener = new Redis(redisUrl);
    listener.on('message', (_channel: string, message: string) => received.push(JSON.parse(message)));
    await listener.subscribe(entityChangesChannel(users.config.DB_NAME_PREFIX));
  });
  afterAll(async () => {
    listener.disconnect();
    await users.close();
    await proxy.close();
  });

  const rename = (id: string, name: string) =>
    users.request<{ updateProfile: { displayName: string } }>(
      'mutation($n: String!) { updateProfile(displayName: $n) { displayName } }',
      { n: name },
      id,
    );

  it('announces a change made while Redis was out of reach once it is back, and the change itself succeeds', async () => {
    const signUp = await users.request<{ signUp: AuthData }>(SIGN_UP, {
      username: 'announced',
      password: 'correct horse battery',
      displayName: 'Before',
    });
    const id = signUp.data!.signUp.user.id;
    expect((await rename(id, 'First')).data?.updateProfile.displayName).toBe('First');
    await waitUntil('the first change is announced', () => received.length === 1);
    expect(received).toEqual([{ type: 'User', id }]);

    proxy.cut();
    const during = await rename(id, 'Second');
    expect(during.errors).toBeUndefined();
    expect(during.data?.updateProfile.displayName).toBe('Second');
    expect(received).toHaveLength(1);

    proxy.heal();
    await waitUntil('the change made meanwhile is announced', () => received.length === 2, 20_000);
    expect(received[1]).toEqual({ type: 'User', id });
  }, 60_000);
});
