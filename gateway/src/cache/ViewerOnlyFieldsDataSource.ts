import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { Kind } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { GatewayContext } from '../auth/SubgraphDataSource';
import { entitiesFetch } from './entitiesFetch';

/** Entity fields a subgraph answers with null, without an error, to a caller with no viewer; by type. */
export type ViewerOnlyFields = Readonly<Record<string, ReadonlySet<string>>>;

/**
 * What each subgraph answers with null, without an error, to anonymous callers, as its schema says. Presence:
 * `User.presence` is "null, without an error, for anyone else and for anonymous callers".
 */
export const VIEWER_ONLY_FIELDS: Readonly<Record<string, ViewerOnlyFields>> = {
  presence: { User: new Set(['presence']) },
};

/**
 * For each entity type of an `_entities` fetch: the response keys to fill, with null for a viewer-only field and the
 * type name for `__typename`. Undefined when the fetch asks anything else (it then goes to the subgraph).
 */
type AnonymousAnswer = ReadonlyMap<string, ReadonlyArray<{ key: string; typename: boolean }>>;

function anonymousAnswer(query: string, fields: ViewerOnlyFields): AnonymousAnswer | undefined {
  const fetch = entitiesFetch(query);
  if (!fetch || fetch.typename) return undefined;
  const answer = new Map<string, Array<{ key: string; typename: boolean }>>();
  for (const { type, selections } of fetch.fragments) {
    const allowed = fields[type];
    if (!allowed) return undefined;
    const keys = answer.get(type) ?? [];
    for (const s of selections) {
      if (s.kind !== Kind.FIELD || s.directives?.length || s.arguments?.length) return undefined;
      const typename = s.name.value === '__typename';
      if (!typename && !allowed.has(s.name.value)) return undefined;
      keys.push({ key: s.alias?.value ?? s.name.value, typename });
    }
    answer.set(type, keys);
  }
  return answer.size > 0 ? answer : undefined;
}

/**
 * Answers, in the gateway, the entity fetches a subgraph would answer with nulls: a caller with no viewer asking only
 * for fields that subgraph keeps to viewers ({@link VIEWER_ONLY_FIELDS}). A live event runs its entity fetches once
 * per group, without a viewer when the group is shared by several (a chat's `chatEvents`), so without this every
 * event of every group asked presence for an author's presence and got null. Every other fetch goes through
 * untouched; so does one for a representation that is not a plain `{__typename, id}` of a listed type.
 */
export class ViewerOnlyFieldsDataSource implements GraphQLDataSource<GatewayContext> {
  /** Fetches answered here instead of by the subgraph. */
  answered = 0;
  private readonly documents = new LRUCache<string, AnonymousAnswer | false>({ max: 1000 });

  constructor(
    private readonly inner: GraphQLDataSource<GatewayContext>,
    private readonly fields: ViewerOnlyFields,
  ) {}

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { query, variables } = options.request;
    const representations = variables?.representations;
    if (typeof options.context?.viewerId === 'string' || !query || !Array.isArray(representations)) {
      return this.inner.process(options);
    }
    const answer = this.answerFor(query);
    if (!answer) return this.inner.process(options);
    const entities: Array<Record<string, unknown>> = [];
    for (const r of representations as unknown[]) {
      const typename = (r as { __typename?: unknown } | null)?.__typename;
      const keys = typeof typename === 'string' ? answer.get(typename) : undefined;
      if (!keys || typeof (r as { id?: unknown }).id !== 'string') return this.inner.process(options);
      entities.push(Object.fromEntries(keys.map(({ key, typename: isType }) => [key, isType ? typename : null])));
    }
    this.answered++;
    return { data: { _entities: entities } };
  }

  private answerFor(query: string): AnonymousAnswer | undefined {
    let answer = this.documents.get(query);
    if (answer === undefined) {
      answer = anonymousAnswer(query, this.fields) ?? false;
      this.documents.set(query, answer);
    }
    return answer || undefined;
  }
}
