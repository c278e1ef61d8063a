import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

/** Limits on the shape of an operation, checked at validation before anything is planned or fetched. */
export interface OperationLimits {
  /** Deepest field nesting. @default 12 */
  maxDepth: number;
  /** Most aliased fields in one operation (alias-based amplification). @default 50 */
  maxAliases: number;
}

export const DEFAULT_OPERATION_LIMITS: OperationLimits = { maxDepth: 12, maxAliases: 50 };

function depthOf(
  set: SelectionSetNode | undefined,
  fragments: Map<string, FragmentDefinitionNode>,
  seen: Set<string>,
): number {
  if (!set) return 0;
  let max = 0;
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) {
      if (sel.name.value.startsWith('__')) continue;
      max = Math.max(max, 1 + depthOf(sel.selectionSet, fragments, seen));
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      max = Math.max(max, depthOf(sel.selectionSet, fragments, seen));
    } else {
      const name = sel.name.value;
      if (seen.has(name)) continue; // cycles are reported by the standard NoFragmentCycles rule
      const fragment = fragments.get(name);
      max = Math.max(max, depthOf(fragment?.selectionSet, fragments, new Set([...seen, name])));
    }
  }
  return max;
}

/** A validation rule enforcing {@link OperationLimits}; violations are `BAD_USER_INPUT`. */
export function operationLimitsRule(limits: OperationLimits = DEFAULT_OPERATION_LIMITS): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of context.getDocument().definitions)
      if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    let aliases = 0;
    return {
      Field(node) {
        if (node.alias) aliases++;
      },
      OperationDefinition: {
        enter(node) {
          aliases = 0;
          const depth = depthOf(node.selectionSet, fragments, new Set());
          if (depth > limits.maxDepth) {
            context.reportError(
              new GraphQLError(`The operation is ${depth} levels deep; the limit is ${limits.maxDepth}.`, {
                nodes: [node],
                extensions: { code: 'BAD_USER_INPUT' },
              }),
            );
          }
        },
        leave(node) {
          if (aliases > limits.maxAliases) {
            context.reportError(
              new GraphQLError(`The operation uses ${aliases} aliases; the limit is ${limits.maxAliases}.`, {
                nodes: [node],
                extensions: { code: 'BAD_USER_INPUT' },
              }),
            );
          }
        },
      },
    };
  };
}
