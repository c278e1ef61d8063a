import { DateTime, type SubgraphServerOptions } from '@chatgraph/service';
import { Mutation } from './Mutation';
import type { PresenceContext } from './PresenceContext';
import { Query } from './Query';
import { Subscription } from './Subscription';
import { User } from './User';

/** Every resolver of the presence subgraph. */
export const resolvers: SubgraphServerOptions<PresenceContext>['resolvers'] = {
  DateTime,
  Query,
  Mutation,
  Subscription,
  User,
};
