import Redis from 'ioredis';
import { blockChangesChannel } from '@chatgraph/pubsub';
import { waitUntil } from '@chatgraph/testing';
import { SIGN_UP, startUsers, type AuthData, type StartedUsers } from './startUsers';

/**
 * Blocks and unblocks are announced after their commit on the block-changes channel, naming the blocker, so that the
 * notifiers' block caches forget that user's answers.
 */
describe('users subgraph: block change announcements', () => {
  let users: StartedUsers;
  let listener: Redis;
  const received: Array<{ userId: string }> = [];

  beforeAll(async () => {
    users = await startUsers();
    listener = new Redis(users.config.REDIS_URL);
    listener.on('message', (_channel: string, message: string) => received.push(JSON.parse(message)));
    await listener.subscribe(blockChangesChannel(users.config.DB_NAME_PREFIX));
  });
  afterAll(async () => {
    listener.disconnect();
    await users.close();
  });

  const signUp = async (username: string) => {
    const res = await users.request<{ signUp: AuthData }>(SIGN_UP, {
      username,
      password: 'correct horse battery',
      displayName: username,
    });
    return res.data!.signUp.user.id;
  };

  it('announces the blocker after a block and after an unblock', async () => {
    const [blocker, blocked] = [await signUp('blocker'), await signUp('blocked')];
    const block = await users.request('mutation($u: ID!) { blockUser(userId: $u) }', { u: blocked }, blocker);
    expect(block.errors).toBeUndefined();
    await waitUntil('the block is announced', () => received.length === 1);
    expect(received).toEqual([{ userId: blocker }]);

    const unblock = await users.request('mutation($u: ID!) { unblockUser(userId: $u) }', { u: blocked }, blocker);
    expect(unblock.errors).toBeUndefined();
    await waitUntil('the unblock is announced', () => received.length === 2);
    expect(received[1]).toEqual({ userId: blocker });
  });
});
