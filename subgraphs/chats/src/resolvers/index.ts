import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { DateTime } from '@chatgraph/service';
import type { ChatsContext } from '../context';
import { Chat } from './Chat';
import { Message, ReactionGroup } from './Message';
import { Mutation } from './Mutation';
import { Query } from './Query';
import { User } from './User';

/**
 * Every resolver of the chats subgraph. Subscription fields have none: the gateway serves them from Redis (see the
 * `@live` directive in schema.graphql); this subgraph only publishes. (A shard outage becomes SERVICE_UNAVAILABLE in
 * `createSubgraphServer`, as in every subgraph.)
 */
export const resolvers: GraphQLResolverMap<ChatsContext> = {
  DateTime,
  Query,
  Mutation,
  Chat,
  Message,
  ReactionGroup,
  User,
  ChatEvent: {},
};
