import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { DateTime } from '@chatgraph/service';
import type { NotificationsContext } from '../context';
import { Mutation } from './Mutation';
import { Notification } from './Notification';
import { Query } from './Query';
import { Webhook, WebhookDelivery, webhookMutations, webhookQueries } from './webhookFields';

/**
 * Every resolver of the notifications subgraph. `notificationAdded` has none: the gateway serves it from Redis (see
 * the `@live` directive in schema.graphql); the notifier workers publish.
 */
export const resolvers: GraphQLResolverMap<NotificationsContext> = {
  DateTime,
  Query: { ...Query, ...webhookQueries },
  Mutation: { ...Mutation, ...webhookMutations },
  Notification,
  Webhook,
  WebhookDelivery,
};
