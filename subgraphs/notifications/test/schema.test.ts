import fs from 'node:fs';
import path from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { isEnumType, parse } from 'graphql';
import { composeSupergraph } from '../../../gateway/src/supergraph/composeSupergraph';
import { undescribedElements } from '@chatgraph/testing';
import { resolvers } from '../src/resolvers';
import { typeDefs } from '../src/server';

describe('the notifications schema', () => {
  const schema = buildSubgraphSchema([{ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> }]);

  it('describes every type, field, argument and enum value of its own', () => {
    expect(undescribedElements(schema)).toEqual([]);
  });

  it('has the public contract', () => {
    const args = (f: { args: ReadonlyArray<{ name: string; type: unknown }> }) =>
      f.args.map((a) => `${a.name}: ${String(a.type)}`);
    const q = schema.getQueryType()!.getFields();
    const m = schema.getMutationType()!.getFields();
    const s = schema.getSubscriptionType()!.getFields();
    expect(String(q.notifications!.type)).toBe('NotificationConnection!');
    expect(args(q.notifications!)).toEqual(['first: Int', 'after: String', 'unreadOnly: Boolean']);
    expect(String(q.unreadNotificationCount!.type)).toBe('Int!');
    expect(args(m.markNotificationsRead!)).toEqual(['ids: [ID!]', 'all: Boolean']);
    expect(String(m.markNotificationsRead!.type)).toBe('Int!');
    expect(args(m.registerPushSubscription!)).toEqual(['endpoint: String!', 'p256dh: String!', 'auth: String!']);
    expect(args(m.unregisterPushSubscription!)).toEqual(['endpoint: String!']);
    expect(args(s.notificationAdded!)).toEqual(['afterId: ID']);
    expect(String(s.notificationAdded!.type)).toBe('Notification!');
    const kind = schema.getType('NotificationKind');
    expect(isEnumType(kind) && kind.getValues().map((v) => v.name)).toEqual([
      'DIRECT_MESSAGE',
      'MENTION',
      'REPLY',
      'REACTION',
      'ADDED_TO_CHAT',
    ]);
  });

  it('composes into the supergraph: entity references resolved elsewhere, the live field resumable by id', () => {
    const supergraph = composeSupergraph();
    expect(supergraph).toContain(
      '@live(topic: "notification:{viewerId}", authorize: "canReceiveNotifications", replay: "notificationsSince", resume: "notificationResumeSeq")',
    );
    const committed = fs.readFileSync(path.join(__dirname, '../../../gateway/supergraph.graphql'), 'utf8');
    expect(committed).toContain('notificationAdded');
    const api = parse(fs.readFileSync(path.join(__dirname, '../../../gateway/api-schema.graphql'), 'utf8'));
    const queryFields = api.definitions.flatMap((d) =>
      d.kind === 'ObjectTypeDefinition' && d.name.value === 'Query' ? (d.fields ?? []).map((f) => f.name.value) : [],
    );
    // The gateway's own questions stay off the public API.
    expect(queryFields).toContain('notifications');
    expect(queryFields).not.toContain('canReceiveNotifications');
    expect(queryFields).not.toContain('notificationResumeSeq');
  });
});
