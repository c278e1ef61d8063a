/**
 * The entity cache's rules without processes: a fetch that was in flight when its entity was invalidated (or the
 * cache flushed) never stores its older value; only cacheable entity fetches are served from memory; a fetch of the
 * missing entities only keeps every answer and error in its original place.
 */
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { GatewayContext } from '../src/auth/SubgraphDataSource';
import { CACHEABLE_ENTITIES } from '../src/cache/cacheableEntities';
import { EntityCache } from '../src/cache/EntityCache';
import { EntityCachingDataSource } from '../src/cache/EntityCachingDataSource';

const FETCH =
  'query($representations:[_Any!]!){_entities(representations:$representations){...on User{id displayName}}}';

describe('EntityCache', () => {
  const cache = () => {
    const c = new EntityCache({ max: 100, ttlMs: 60_000 });
    c.resume();
    return c;
  };

  it('drops the result of a fetch that started before an invalidation of its entity', () => {
    const c = cache();
    const ticket = c.ticket();
    c.invalidate('User:1');
    c.fill('User:1', 'q', { displayName: 'old' }, ticket);
    expect(c.get('User:1', 'q')).toBeUndefined();
    c.fill('User:1', 'q', { displayName: 'new' }, c.ticket());
    expect(c.get('User:1', 'q')).toEqual({ displayName: 'new' });
    expect(c.snapshot()).toMatchObject({ discardedFills: 1, invalidations: 1, hits: 1, misses: 1 });
  });

  it('keeps other entities when one is invalidated, and nothing from before a flush', () => {
    const c = cache();
    const ticket = c.ticket();
    c.fill('User:1', 'q', 1, ticket);
    c.fill('User:2', 'q', 2, ticket);
    c.invalidate('User:1');
    expect(c.get('User:2', 'q')).toBe(2);
    const beforeFlush = c.ticket();
    c.flush();
    c.fill('User:3', 'q', 3, beforeFlush);
    expect(c.get('User:2', 'q')).toBeUndefined();
    expect(c.get('User:3', 'q')).toBeUndefined();
  });
});

describe('EntityCachingDataSource', () => {
  /** A users subgraph that answers entity fetches by id and records what it was asked. */
  class FakeUsers implements GraphQLDataSource<GatewayContext> {
    readonly asked: string[][] = [];
    names: Record<string, string> = { '1': 'Ann', '2': 'Bo', '3': 'Cy' };
    async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
      const reps = (options.request.variables?.representations ?? []) as Array<{ id: string }>;
      this.asked.push(reps.map((r) => r.id));
      const errors = reps.flatMap((r, i) =>
        this.names[r.id] ? [] : [{ message: 'no such user', path: ['_entities', i, 'displayName'] }],
      );
      return {
        data: { _entities: reps.map((r) => (this.names[r.id] ? { id: r.id, displayName: this.names[r.id] } : null)) },
        ...(errors.length ? { errors } : {}),
      };
    }
  }
  const request = (ids: string[], query = FETCH) =>
    ({
      request: { query, variables: { representations: ids.map((id) => ({ __typename: 'User', id })) } },
      context: { viewerId: '9' },
    }) as unknown as GraphQLDataSourceProcessOptions<GatewayContext>;

  it('fetches only what it does not hold, and answers in the order asked', async () => {
    const users = new FakeUsers();
    const cache = new EntityCache({ max: 100, ttlMs: 60_000 });
    cache.resume();
    const source = new EntityCachingDataSource(users, cache, CACHEABLE_ENTITIES.users!);
    await source.process(request(['1', '2']));
    const res = await source.process(request(['3', '2', '1']));
    expect(users.asked).toEqual([['1', '2'], ['3']]);
    expect(res.data).toEqual({
      _entities: [
        { id: '3', displayName: 'Cy' },
        { id: '2', displayName: 'Bo' },
        { id: '1', displayName: 'Ann' },
      ],
    });
    // All held: the subgraph is not asked at all.
    await source.process(request(['2', '3']));
    expect(users.asked).toHaveLength(2);
  });

  it('puts errors of a partial fetch at the positions asked, and does not cache what failed', async () => {
    const users = new FakeUsers();
    const cache = new EntityCache({ max: 100, ttlMs: 60_000 });
    cache.resume();
    const source = new EntityCachingDataSource(users, cache, CACHEABLE_ENTITIES.users!);
    await source.process(request(['1']));
    const res = await source.process(request(['1', '404']));
    expect(res.errors).toEqual([{ message: 'no such user', path: ['_entities', 1, 'displayName'] }]);
    expect((res.data as { _entities: unknown[] })._entities).toEqual([{ id: '1', displayName: 'Ann' }, null]);
    await source.process(request(['404']));
    expect(users.asked).toEqual([['1'], ['404'], ['404']]);
  });

  it('passes through fetches of fields that depend on the viewer, and everything while suspended', async () => {
    const users = new FakeUsers();
    const cache = new EntityCache({ max: 100, ttlMs: 60_000 });
    cache.resume();
    const source = new EntityCachingDataSource(users, cache, CACHEABLE_ENTITIES.users!);
    const private_ = FETCH.replace('displayName', 'displayName email');
    await source.process(request(['1'], private_));
    await source.process(request(['1'], private_));
    expect(users.asked).toEqual([['1'], ['1']]);
    cache.suspend();
    await source.process(request(['2']));
    await source.process(request(['2']));
    expect(users.asked).toHaveLength(4);
    expect(cache.snapshot().size).toBe(0);
  });
});
