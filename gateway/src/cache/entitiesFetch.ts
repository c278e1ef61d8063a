import { Kind, parse, type SelectionNode } from 'graphql';

/** What an entity fetch asks, per entity type: the selections of its `... on Type { }` fragments. */
export interface EntitiesFetch {
  /** Whether `__typename` is asked beside the fragments (unaliased). */
  typename: boolean;
  fragments: Array<{ type: string; selections: readonly SelectionNode[] }>;
}

/**
 * Reads a subgraph fetch as a query plan sends it for entities — one query operation whose only root field is
 * `_entities(representations: ...)`, selecting `__typename` and inline fragments per type — or undefined for any
 * other document (a root field, a mutation, a directive, a named fragment).
 */
export function entitiesFetch(query: string): EntitiesFetch | undefined {
  let document;
  try {
    document = parse(query, { noLocation: true });
  } catch {
    return undefined;
  }
  const [operation, ...others] = document.definitions;
  if (others.length || operation?.kind !== Kind.OPERATION_DEFINITION || operation.operation !== 'query')
    return undefined;
  const [root, ...more] = operation.selectionSet.selections;
  if (more.length || root?.kind !== Kind.FIELD || root.name.value !== '_entities' || root.directives?.length) {
    return undefined;
  }
  const fetch: EntitiesFetch = { typename: false, fragments: [] };
  for (const s of root.selectionSet?.selections ?? []) {
    if (s.kind === Kind.FIELD && s.name.value === '__typename' && !s.alias && !s.directives?.length) {
      fetch.typename = true;
      continue;
    }
    if (s.kind !== Kind.INLINE_FRAGMENT || s.directives?.length || !s.typeCondition) return undefined;
    fetch.fragments.push({ type: s.typeCondition.name.value, selections: s.selectionSet.selections });
  }
  return fetch;
}
