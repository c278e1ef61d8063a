/**
 * Result shaping on a schema with abstract types (an interface and a union), which the committed supergraph does not
 * have: `shapeResponse` against `@apollo/gateway`'s `computeResponse` on the same merged data, fragments on each
 * member type, objects of each type in one list, a `__typename` the schema does not know, and type conditions nested
 * in a fragment on the interface inside a union, asked about objects of different types in turn (each fragment keeps
 * its answer per type name).
 */
import { parse } from 'graphql';
import { buildSchema, operationFromDocument } from '@apollo/federation-internals';
import { computeResponse } from '@apollo/gateway/dist/resultShaping';
import { compileShape, shapeResponse } from '../src/execution/shapeResponse';

const schema = buildSchema(`
  type Query { feed: [Item!]! first: Item search: [Result] media: [Media!]! }
  interface Item { id: ID! }
  type Post implements Item { id: ID! title: String! score: Int }
  type Photo implements Item { id: ID! url: String! }
  type Person { name: String! }
  union Result = Post | Person
  union Media = Post | Photo
`);

const QUERY = `query($withScore: Boolean!) {
  feed { id __typename ... on Post { title score @include(if: $withScore) } ... on Photo { url } }
  first { ... on Photo { url } ... on Item { id } }
  media { ... on Item { id ... on Post { title } ... on Photo { url } } }
  search { __typename ... on Person { name } ... on Post { id title } }
}`;

function both(input: Record<string, unknown>, variables: Record<string, unknown>) {
  const operation = operationFromDocument(schema, parse(QUERY));
  const introspection = () => {
    throw new Error('no introspection here');
  };
  const plain = (v: unknown) => JSON.parse(JSON.stringify(v));
  // computeResponse writes into nothing of its input; each gets a copy all the same.
  const theirs = computeResponse({ operation, variables, input: plain(input), introspectionHandling: introspection });
  const ours = shapeResponse(compileShape(operation), plain(input), variables, introspection);
  const shape = (r: { data: unknown; errors: Array<{ message: string; extensions?: unknown }> }) => ({
    data: plain(r.data),
    errors: r.errors.map((e) => ({ message: e.message, extensions: e.extensions })),
  });
  expect(shape(ours)).toEqual(shape(theirs));
  return shape(ours);
}

const feed = [
  { __typename: 'Post', id: '1', title: 'a', score: 3 },
  { __typename: 'Photo', id: '2', url: 'u' },
  { __typename: 'Post', id: '3', title: 'b', score: null },
];
const input = {
  feed,
  media: feed,
  first: { __typename: 'Photo', id: '9', url: 'v' },
  search: [{ __typename: 'Person', name: 'p' }, { __typename: 'Post', id: '4', title: 'c' }, null],
};

describe('shapeResponse answers like computeResponse on abstract types', () => {
  it('keeps each object the fields of its own type, with and without a condition', () => {
    for (const withScore of [true, false]) {
      const { data } = both(input, { withScore });
      expect((data as { feed: unknown[] }).feed[1]).toEqual({ id: '2', __typename: 'Photo', url: 'u' });
    }
  });

  it('an unknown __typename in a non-null list element nulls the list and says where', () => {
    const broken = { ...input, feed: [...input.feed, { __typename: 'Video', id: '5' }] };
    const { data, errors } = both(broken, { withScore: true });
    expect(data).toBeNull();
    expect(errors.length).toBeGreaterThan(0);
  });

  it('a union member missing a non-null field nulls that element only', () => {
    const broken = { ...input, search: [{ __typename: 'Person' }, ...input.search.slice(1)] };
    const { data } = both(broken, { withScore: false });
    expect((data as { search: unknown[] }).search[0]).toBeNull();
  });
});
