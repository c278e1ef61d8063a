/**
 * Entity fetches a subgraph would answer with nulls (no viewer, only fields it keeps to viewers) are answered by the
 * gateway; every other fetch reaches the subgraph, with its answer unchanged.
 */
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { GatewayContext } from '../src/auth/SubgraphDataSource';
import { VIEWER_ONLY_FIELDS, ViewerOnlyFieldsDataSource } from '../src/cache/ViewerOnlyFieldsDataSource';

const PRESENCE =
  'query($representations:[_Any!]!){_entities(representations:$representations){...on User{presence{status}}}}';

/** A presence subgraph that answers every fetch as it would for a signed-in viewer and records it. */
class FakePresence implements GraphQLDataSource<GatewayContext> {
  readonly asked: string[] = [];
  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    this.asked.push(options.request.query!);
    const reps = (options.request.variables?.representations ?? []) as Array<{ id: string }>;
    return { data: { _entities: reps.map(() => ({ presence: { status: 'ONLINE' } })) } };
  }
}

const fetchAs = (
  source: GraphQLDataSource<GatewayContext>,
  viewerId: string | null,
  query: string,
  representations: unknown[],
) =>
  source.process({
    kind: 0,
    request: { query, variables: { representations } },
    context: { viewerId },
  } as unknown as GraphQLDataSourceProcessOptions<GatewayContext>);

describe('ViewerOnlyFieldsDataSource', () => {
  const users = [
    { __typename: 'User', id: '1' },
    { __typename: 'User', id: '2' },
  ];

  it('answers an anonymous fetch of presence with nulls in place, without asking presence', async () => {
    const inner = new FakePresence();
    const source = new ViewerOnlyFieldsDataSource(inner, VIEWER_ONLY_FIELDS.presence!);
    expect(await fetchAs(source, null, PRESENCE, users)).toEqual({
      data: { _entities: [{ presence: null }, { presence: null }] },
    });
    const aliased =
      'query($representations:[_Any!]!){_entities(representations:$representations){...on User{__typename p:presence{status}}}}';
    expect(await fetchAs(source, null, aliased, users.slice(0, 1))).toEqual({
      data: { _entities: [{ __typename: 'User', p: null }] },
    });
    expect(inner.asked).toEqual([]);
    expect(source.answered).toBe(2);
  });

  it('lets a viewer, another field, another type or an odd representation through to the subgraph', async () => {
    const inner = new FakePresence();
    const source = new ViewerOnlyFieldsDataSource(inner, VIEWER_ONLY_FIELDS.presence!);
    const signedIn = await fetchAs(source, '7', PRESENCE, users);
    expect(signedIn).toEqual({
      data: { _entities: [{ presence: { status: 'ONLINE' } }, { presence: { status: 'ONLINE' } }] },
    });
    await fetchAs(
      source,
      null,
      'query($representations:[_Any!]!){_entities(representations:$representations){...on User{id presence{status}}}}',
      users,
    );
    await fetchAs(
      source,
      null,
      'query($representations:[_Any!]!){_entities(representations:$representations){...on Bot{presence{status}}}}',
      [{ __typename: 'Bot', id: '1' }],
    );
    await fetchAs(source, null, PRESENCE, [{ __typename: 'User' }]);
    await fetchAs(source, null, '{ presenceOf(userIds: ["1"]) { status } }', []);
    expect(inner.asked).toHaveLength(5);
    expect(source.answered).toBe(0);
  });
});
