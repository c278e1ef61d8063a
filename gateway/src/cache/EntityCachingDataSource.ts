import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { Kind } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { GatewayContext } from '../auth/SubgraphDataSource';
import type { EntityCache } from './EntityCache';
import { entitiesFetch } from './entitiesFetch';

/** Fields of each entity type that read the same for every viewer and may be served from the cache, by type. */
export type CacheableEntities = Readonly<Record<string, ReadonlySet<string>>>;

type Representation = { __typename: string; id: string } & Record<string, unknown>;
type EntityError = NonNullable<GatewayGraphQLResponse['errors']>[number];

/** Whether a fetch's document only asks for cacheable fields of entities: `_entities(...) { ... on User { a b } }`. */
function isCacheableFetch(query: string, cacheable: CacheableEntities): boolean {
  const fetch = entitiesFetch(query);
  if (!fetch) return false;
  return fetch.fragments.every(({ type, selections }) => {
    const fields = cacheable[type];
    return (
      fields !== undefined &&
      selections.every(
        (s) =>
          s.kind === Kind.FIELD &&
          !s.selectionSet &&
          !s.arguments?.length &&
          !s.directives?.length &&
          (s.name.value === '__typename' || fields.has(s.name.value)),
      )
    );
  });
}

const isRepresentation = (value: unknown, cacheable: CacheableEntities): value is Representation =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Representation).__typename === 'string' &&
  typeof (value as Representation).id === 'string' &&
  cacheable[(value as Representation).__typename] !== undefined;

/**
 * The gateway's entity cache in front of one subgraph's data source. An entity fetch of a query plan (HTTP queries
 * and live event executions alike) that asks only for cacheable fields is answered from {@link EntityCache} for the
 * entities it holds; only the others are fetched, in one request, and stored (unless invalidated meanwhile). Every
 * other request goes through untouched. Errors of the fetch keep their place: their paths are mapped back to the
 * positions of the original representations.
 */
export class EntityCachingDataSource implements GraphQLDataSource<GatewayContext> {
  /** Per fetch document: whether it is cacheable (query plans reuse a handful of documents). */
  private readonly documents = new LRUCache<string, boolean>({ max: 1000 });

  constructor(
    private readonly inner: GraphQLDataSource<GatewayContext>,
    private readonly cache: EntityCache,
    private readonly cacheable: CacheableEntities,
  ) {}

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { query, variables } = options.request;
    const representations = variables?.representations;
    if (!this.cache.active || !query || !Array.isArray(representations) || !this.isCacheable(query)) {
      return this.inner.process(options);
    }
    if (!representations.every((r) => isRepresentation(r, this.cacheable))) return this.inner.process(options);

    const entities: unknown[] = new Array(representations.length);
    const missing: number[] = [];
    representations.forEach((r: Representation, i) => {
      const value = this.cache.get(`${r.__typename}:${r.id}`, query);
      if (value === undefined) missing.push(i);
      else entities[i] = value;
    });
    if (missing.length === 0) return { data: { _entities: entities } };

    const ticket = this.cache.ticket();
    const response = await this.inner.process({
      ...options,
      request: {
        ...options.request,
        variables: { ...variables, representations: missing.map((i) => representations[i]) },
      },
    });
    const fetched = (response.data as { _entities?: unknown[] } | null | undefined)?._entities;
    const failed = new Set<number>();
    const errors = response.errors?.map((error: EntityError) => {
      const [field, index, ...rest] = error.path ?? [];
      if (field !== '_entities' || typeof index !== 'number' || missing[index] === undefined) return error;
      failed.add(index);
      return { ...error, path: [field, missing[index], ...rest] };
    });
    if (!Array.isArray(fetched)) {
      // Nothing usable came back (the subgraph is unavailable, say): the whole fetch fails as it would uncached.
      return { ...response, errors };
    }
    missing.forEach((original, j) => {
      const value = fetched[j] ?? null;
      entities[original] = value;
      const r = representations[original] as Representation;
      if (value !== null && !failed.has(j)) this.cache.fill(`${r.__typename}:${r.id}`, query, value, ticket);
    });
    return { ...response, data: { ...response.data, _entities: entities }, ...(errors ? { errors } : {}) };
  }

  private isCacheable(query: string): boolean {
    let cacheable = this.documents.get(query);
    if (cacheable === undefined) {
      cacheable = isCacheableFetch(query, this.cacheable);
      this.documents.set(query, cacheable);
    }
    return cacheable;
  }
}
