import { parse } from 'graphql';
import { composeServices } from '@apollo/composition';
import { Supergraph } from '@apollo/federation-internals';
import { expandTopics, readLiveFields } from '../src/subscriptions/LiveFieldRegistry';

describe('topic templates', () => {
  it('substitutes arguments and the viewer', () => {
    expect(expandTopics('chat:{chatId}', { chatId: '42' }, '7')).toEqual(['chat:42']);
    expect(expandTopics('user-activity:{viewerId}', {}, '7')).toEqual(['user-activity:7']);
  });
  it('gives one topic per element of a list argument, without duplicates', () => {
    expect(expandTopics('presence:{userIds}', { userIds: ['1', '2', '2'] }, '7')).toEqual(['presence:1', 'presence:2']);
  });
  it('refuses a template whose placeholder has no value', () => {
    expect(() => expandTopics('chat:{chatId}', {}, '7')).toThrow(/no value for \{chatId\}/);
  });
});

describe('reading @live from a composed supergraph', () => {
  it('finds topic, authorize and replay of each live field', () => {
    const link = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@composeDirective"])
      @link(url: "https://chatgraph.dev/live/v1.0", import: ["@live"]) @composeDirective(name: "@live")
      directive @live(topic: String!, authorize: String, replay: String) on FIELD_DEFINITION`;
    const a = `${link}
      type Query { since(id: ID!, afterSeq: Int!, limit: Int): [E!]! ok(id: ID!): Boolean! }
      type Subscription { events(id: ID!, afterSeq: Int): E! @live(topic: "t:{id}", authorize: "ok", replay: "since") plain: Int! }
      type E { seq: Int! }`;
    const b = `${link}
      type Query { x: Int }
      type Subscription { other: Int! @live(topic: "o:{viewerId}") }`;
    const result = composeServices([
      { name: 'a', url: 'http://a', typeDefs: parse(a) },
      { name: 'b', url: 'http://b', typeDefs: parse(b) },
    ]);
    expect(result.errors).toBeUndefined();
    const fields = readLiveFields(Supergraph.build(result.supergraphSdl!).schema.toGraphQLJSSchema());
    expect(fields.get('events')).toEqual({ field: 'events', topic: 't:{id}', authorize: 'ok', replay: 'since' });
    expect(fields.get('other')).toEqual({
      field: 'other',
      topic: 'o:{viewerId}',
      authorize: undefined,
      replay: undefined,
    });
    expect(fields.has('plain')).toBe(false);
  });
});
