import { DateTime, type SubgraphServerOptions } from '@chatgraph/service';
import type { UsersContext } from '../context';
import { Mutation } from './Mutation';
import { Query } from './Query';
import { User } from './User';
import { ApiToken } from './integrationFields';

/** The resolver map of the users subgraph. */
export const resolvers: SubgraphServerOptions<UsersContext>['resolvers'] = {
  DateTime,
  Query,
  Mutation,
  User,
  ApiToken,
};
