import {
  getNamedType,
  isInterfaceType,
  isObjectType,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLError,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { TokenScope } from '@chatgraph/auth';
import { userError } from '@chatgraph/errors';
import { NESTED_FIELD_SCOPES, ROOT_FIELD_SCOPES } from './scopeTable';

/**
 * The first field of `operation` an API token with `scopes` may not use, as FORBIDDEN with `extensions.requiredScope`
 * (null for fields no token may use), or undefined when it may run. `scopes` undefined means a session user, who has
 * every scope. Fragments are followed (each once per type it is spread on); introspection fields are allowed.
 */
export function checkScopes(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  scopes: readonly TokenScope[] | undefined,
): GraphQLError | undefined {
  if (scopes === undefined) return undefined;
  const root = schema.getRootType(operation.operation);
  if (!root) return undefined;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === 'FragmentDefinition') fragments.set(d.name.value, d);
  const seen = new Set<string>();
  let refusal: GraphQLError | undefined;

  const walk = (selectionSet: SelectionSetNode, parent: GraphQLNamedType, atRoot: boolean): void => {
    for (const selection of selectionSet.selections) {
      if (refusal) return;
      if (selection.kind === 'Field') {
        const name = selection.name.value;
        if (name.startsWith('__')) continue;
        const coordinate = `${parent.name}.${name}`;
        const rule = atRoot ? ROOT_FIELD_SCOPES[coordinate] : NESTED_FIELD_SCOPES[coordinate];
        if (atRoot && rule === undefined) {
          refusal = userError('FORBIDDEN', `API tokens cannot use ${coordinate}; sign in with a password.`, {
            requiredScope: null,
            field: coordinate,
          });
          return;
        }
        if (rule !== undefined && rule !== 'ANY' && !scopes.includes(rule)) {
          refusal = userError('FORBIDDEN', `This API token lacks the ${rule} scope that ${coordinate} needs.`, {
            requiredScope: rule,
            field: coordinate,
          });
          return;
        }
        if (!selection.selectionSet) continue;
        const def = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
        if (def) walk(selection.selectionSet, getNamedType(def.type), false);
      } else if (selection.kind === 'InlineFragment') {
        const typed = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        walk(selection.selectionSet, typed ?? parent, atRoot);
      } else {
        const fragment = fragments.get(selection.name.value);
        const key = `${selection.name.value}@${parent.name}`;
        if (!fragment || seen.has(key)) continue;
        seen.add(key);
        const typed = schema.getType(fragment.typeCondition.name.value) ?? parent;
        walk(fragment.selectionSet, typed, atRoot);
      }
    }
  };
  walk(operation.selectionSet, root, true);
  return refusal;
}
