import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { Kind } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { GatewayContext } from '../auth/SubgraphDataSource';
import { entitiesFetch } from '../cache/entitiesFetch';

/** An entity an event carries: its type, id and the fields its publisher vouches for, as the owner would answer them. */
type CarriedEntity = { __typename: string; id: string } & Record<string, unknown>;

/** What an entity fetch asks per type, when it asks only plain fields (no alias, argument, directive or selection). */
type PlainFetch = ReadonlyMap<string, { fields: readonly string[]; typename: boolean }>;

/** Per fetch document (a query plan reuses a handful): its plain fields by type, or false when it asks anything else. */
const plainFetches = new LRUCache<string, PlainFetch | false>({ max: 1000 });

function plainFetch(query: string): PlainFetch | undefined {
  let known = plainFetches.get(query);
  if (known === undefined) {
    known = readPlainFetch(query) ?? false;
    plainFetches.set(query, known);
  }
  return known || undefined;
}

function readPlainFetch(query: string): PlainFetch | undefined {
  const fetch = entitiesFetch(query);
  if (!fetch) return undefined;
  const byType = new Map<string, { fields: string[]; typename: boolean }>();
  for (const { type, selections } of fetch.fragments) {
    const entry = byType.get(type) ?? { fields: [], typename: fetch.typename };
    for (const s of selections) {
      if (s.kind !== Kind.FIELD || s.alias || s.arguments?.length || s.directives?.length || s.selectionSet) {
        return undefined;
      }
      if (s.name.value === '__typename') entry.typename = true;
      else entry.fields.push(s.name.value);
    }
    byType.set(type, entry);
  }
  return byType;
}

/** The entities a raw event carries (`_entities`), by `Type:id`; undefined when it carries none. */
export function carriedEntities(raw: unknown): ReadonlyMap<string, CarriedEntity> | undefined {
  const list = typeof raw === 'object' && raw !== null ? (raw as { _entities?: unknown })._entities : undefined;
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const byKey = new Map<string, CarriedEntity>();
  for (const item of list) {
    const e = item as CarriedEntity | null;
    if (typeof e === 'object' && e !== null && typeof e.__typename === 'string' && typeof e.id === 'string') {
      byKey.set(`${e.__typename}:${e.id}`, e);
    }
  }
  return byKey.size ? byKey : undefined;
}

/**
 * A subgraph's data source during one live event's execution, in front of the real one: an entity fetch of the
 * plan's `rest` whose every entity the event carries (`_entities` of the raw event), with every field the fetch asks,
 * is answered from the event without a request. Anything else (another kind of fetch, a field not carried, an entity
 * not carried, a field with an alias or arguments) goes to the subgraph unchanged.
 *
 * A publisher carries only what it may vouch for on behalf of every subscriber of the topic and that reads the same
 * for each of them, as of the change it announces: the notifier carries a notification's message (its text and
 * times, as committed) on the recipient's own topic. A query of the same data later reads the subgraph.
 */
export class CarriedEntitiesDataSource implements GraphQLDataSource<GatewayContext> {
  constructor(
    private readonly inner: GraphQLDataSource<GatewayContext>,
    private readonly carried: ReadonlyMap<string, CarriedEntity>,
  ) {}

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const answer = this.answer(options.request.query, options.request.variables?.representations);
    return answer ? { data: { _entities: answer } } : this.inner.process(options);
  }

  /** The fetch's `_entities`, all from the event; undefined when any is missing. */
  private answer(query: string | undefined, representations: unknown): unknown[] | undefined {
    if (!query || !Array.isArray(representations)) return undefined;
    const fetch = plainFetch(query);
    if (!fetch) return undefined;
    const entities: unknown[] = [];
    for (const r of representations as Array<Partial<CarriedEntity> | null>) {
      const entity = r && typeof r.id === 'string' ? this.carried.get(`${r.__typename}:${r.id}`) : undefined;
      const asked = entity && fetch.get(entity.__typename);
      if (!entity || !asked || !asked.fields.every((f) => Object.hasOwn(entity, f))) return undefined;
      const value: Record<string, unknown> = asked.typename ? { __typename: entity.__typename } : {};
      for (const field of asked.fields) value[field] = entity[field];
      entities.push(value);
    }
    return entities;
  }
}
