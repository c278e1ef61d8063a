import { composeServices } from '@apollo/composition';
import { isObjectType, parse } from 'graphql';
import { undescribedElements } from '@chatgraph/testing';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { resolvers } from '../src/resolvers';
import { typeDefs } from '../src/server';

const usersStub = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])
  type Query { me: User }
  type User @key(fields: "id") { id: ID! username: String! }
`);

describe('the chats schema', () => {
  const schema = buildSubgraphSchema([{ typeDefs, resolvers }]);

  it('describes every type, field, argument and enum value of its own', () => {
    const missing = undescribedElements(schema);
    expect(missing).toEqual([]);
  });

  it('composes into a supergraph with the live directive on the subscription fields', () => {
    const result = composeServices([
      { name: 'chats', typeDefs, url: 'http://chats' },
      { name: 'users', typeDefs: usersStub, url: 'http://users' },
    ]);
    expect(result.errors ?? []).toEqual([]);
    const sdl = result.supergraphSdl!;
    expect(sdl).toContain('@live(topic: "chat:{chatId}", authorize: "canReadChat", replay: "chatEventsSince")');
    expect(sdl).toContain('@live(topic: "typing:{chatId}", authorize: "canReadChat", access: "chat:{chatId}")');
    expect(sdl).toContain('@live(topic: "user-activity:{viewerId}")');
    // canReadChat is for the gateway only
    expect(result.schema!.toAPISchema().toGraphQLJSSchema().getQueryType()!.getFields().canReadChat).toBeUndefined();
  });

  it('has the public contract of the design', () => {
    const q = schema.getQueryType()!.getFields();
    const m = schema.getMutationType()!.getFields();
    const s = schema.getSubscriptionType()!.getFields();
    const args = (f: { args: ReadonlyArray<{ name: string }> }) => f.args.map((a) => a.name);
    expect(args(q.chat!)).toEqual(['id']);
    expect(args(q.myChats!)).toEqual(['first', 'after']);
    expect(args(q.chatEventsSince!)).toEqual(['chatId', 'afterSeq', 'limit']);
    expect(args(m.createDirectChat!)).toEqual(['userId']);
    expect(args(m.createGroupChat!)).toEqual(['title', 'memberIds']);
    expect(args(m.addMembers!)).toEqual(['chatId', 'userIds']);
    expect(args(m.removeMember!)).toEqual(['chatId', 'userId']);
    expect(args(m.leaveChat!)).toEqual(['chatId']);
    expect(args(m.renameChat!)).toEqual(['chatId', 'title']);
    expect(args(m.sendMessage!)).toEqual(['chatId', 'text', 'clientMessageId', 'replyToId']);
    expect(args(m.editMessage!)).toEqual(['messageId', 'text']);
    expect(args(m.deleteMessage!)).toEqual(['messageId']);
    expect(args(m.markRead!)).toEqual(['chatId', 'seq']);
    expect(args(m.setTyping!)).toEqual(['chatId', 'typing']);
    expect(args(s.chatEvents!)).toEqual(['chatId', 'afterSeq']);
    expect(args(s.typing!)).toEqual(['chatId']);
    expect(args(s.myChatActivity!)).toEqual([]);
    const chat = schema.getType('Chat');
    expect(isObjectType(chat) && Object.keys(chat.getFields())).toEqual(
      expect.arrayContaining([
        'id',
        'kind',
        'title',
        'createdAt',
        'lastSeq',
        'members',
        'messages',
        'unreadCount',
        'viewerLastReadSeq',
      ]),
    );
  });
});
