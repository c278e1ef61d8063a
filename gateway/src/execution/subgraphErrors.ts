import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ERRORS, errorCodeDef } from '@apollo/federation-internals';
import type { FetchNode, ResponsePath } from '@apollo/query-planner';

/**
 * Where a subgraph error belongs in the client's response. An entity fetch's error says `_entities.<i>…`: the i-th
 * representation, whose place in the response is found by walking the plan path through the merged data (once, only
 * when such an error arrives).
 */
export function lazyErrorPaths(
  fetch: FetchNode,
  cursor: { path: ResponsePath; fullResult: Record<string, unknown> },
): (path: GraphQLFormattedError['path']) => ResponsePath | undefined {
  let hydrated: ResponsePath[] | undefined;
  return (errorPath) => {
    if (fetch.requires && typeof errorPath?.[1] === 'number') {
      if (!hydrated) {
        hydrated = [];
        hydratePaths([], cursor.path, cursor.fullResult, hydrated);
      }
      return [...(hydrated[errorPath[1]] ?? []), ...errorPath.slice(2)];
    }
    return errorPath ? [...cursor.path, ...errorPath] : undefined;
  };
}

function hydratePaths(parent: Array<string | number>, path: ResponsePath, data: unknown, result: ResponsePath[]): void {
  if (data === null || data === undefined) return;
  const head = path[0];
  if (head === undefined) {
    result.push(parent.slice());
  } else if (head === '@') {
    (data as unknown[]).forEach((value, i) => {
      parent.push(i);
      hydratePaths(parent, path.slice(1), value, result);
      parent.pop();
    });
  } else if (Array.isArray(data)) {
    data.forEach((value, i) => {
      parent.push(i);
      hydratePaths(parent, path, value, result);
      parent.pop();
    });
  } else if (Object.prototype.hasOwnProperty.call(data, head)) {
    parent.push(head);
    hydratePaths(parent, path.slice(1), (data as Record<string, unknown>)[head], result);
    parent.pop();
  }
}

/**
 * A subgraph's error as the client sees it: at its place in the response, with the subgraph's name, and the code
 * it gave (or `DOWNSTREAM_SERVICE_ERROR`).
 */
export function downstreamServiceError(
  original: GraphQLFormattedError,
  serviceName: string,
  errorPath: (path: GraphQLFormattedError['path']) => ResponsePath | undefined,
): GraphQLError {
  const message = original.message || `Error while fetching subquery from service "${serviceName}"`;
  const options = {
    originalError: original as Error,
    path: errorPath(original.path),
    extensions: { ...original.extensions, serviceName },
  };
  const codeDef = errorCodeDef(original);
  if (!codeDef && original.extensions?.code) return new GraphQLError(message, options);
  return (codeDef ?? ERRORS.DOWNSTREAM_SERVICE_ERROR).err(message, options);
}
