import { composeServices } from '@apollo/composition';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { isEnumType, isObjectType, parse } from 'graphql';
import { undescribedElements } from '@chatgraph/testing';
import { resolvers } from '../src/resolvers/resolvers';
import { loadPresenceSchema } from '../src/server';

const typeDefs = parse(loadPresenceSchema());
const usersStub = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Query { me: User }
  type User @key(fields: "id") { id: ID! username: String! }
`);

describe('the presence schema', () => {
  const schema = buildSubgraphSchema([{ typeDefs, resolvers }]);

  it('describes every type, field, argument and enum value of its own', () => {
    const missing = undescribedElements(schema);
    expect(missing).toEqual([]);
  });

  it('composes with the users subgraph; presenceChanged is @live on presence:{userIds}; the gate is not public', () => {
    const result = composeServices([
      { name: 'presence', typeDefs, url: 'http://presence' },
      { name: 'users', typeDefs: usersStub, url: 'http://users' },
    ]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.supergraphSdl).toContain('@live(topic: "presence:{userIds}", authorize: "canWatchPresence")');
    const api = result.schema!.toAPISchema().toGraphQLJSSchema();
    expect(api.getQueryType()!.getFields().canWatchPresence).toBeUndefined();
    const user = api.getType('User');
    expect(isObjectType(user) && Object.keys(user.getFields()).sort()).toEqual(['id', 'presence', 'username']);
  });

  it('has the public contract of the design', () => {
    const args = (f: { args: ReadonlyArray<{ name: string; type: unknown }> }) =>
      f.args.map((a) => `${a.name}: ${String(a.type)}`);
    const m = schema.getMutationType()!.getFields();
    const s = schema.getSubscriptionType()!.getFields();
    expect(args(m.heartbeat!)).toEqual(['status: PresenceStatus']);
    expect(m.heartbeat!.args[0]!.defaultValue).toBe('ONLINE');
    expect(String(m.heartbeat!.type)).toBe('Presence!');
    expect(args(m.goOffline!)).toEqual([]);
    expect(String(m.goOffline!.type)).toBe('Presence!');
    expect(args(s.presenceChanged!)).toEqual(['userIds: [ID!]!']);
    expect(String(s.presenceChanged!.type)).toBe('PresenceEvent!');
    const status = schema.getType('PresenceStatus');
    expect(isEnumType(status) && status.getValues().map((v) => v.name)).toEqual(['ONLINE', 'AWAY', 'OFFLINE']);
    const fields = (name: string) => {
      const t = schema.getType(name);
      return isObjectType(t)
        ? Object.fromEntries(Object.values(t.getFields()).map((f) => [f.name, String(f.type)]))
        : null;
    };
    expect(fields('Presence')).toEqual({ status: 'PresenceStatus!', lastSeenAt: 'DateTime' });
    expect(fields('PresenceEvent')).toEqual({
      user: 'User!',
      status: 'PresenceStatus!',
      lastSeenAt: 'DateTime',
      at: 'DateTime!',
    });
    // nullable on purpose: a presence outage nulls this field only, not the message or chat around it (docs/api.md)
    expect(fields('User')).toEqual({ id: 'ID!', presence: 'Presence' });
  });
});
