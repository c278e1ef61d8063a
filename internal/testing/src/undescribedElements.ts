import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';

const BUILT_IN = new Set(['String', 'Int', 'Boolean', 'ID', 'Float']);
const ROOTS = new Set(['Query', 'Mutation', 'Subscription']);

/**
 * Every type, field, argument and enum value of a schema's own (not built-in, not `_`-prefixed federation
 * machinery) that has no description, as `Type`, `Type.field`, `Type.field(arg)` or `Enum.VALUE`. Root types carry
 * no description of their own in SDL; their fields do.
 */
export function undescribedElements(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  // `link__*`, `federation__*`: the federation spec's own types
  const own = (t: GraphQLNamedType) => !t.name.startsWith('_') && !t.name.includes('__') && !BUILT_IN.has(t.name);
  for (const type of Object.values(schema.getTypeMap()).filter(own)) {
    if (!ROOTS.has(type.name) && !type.description) missing.push(type.name);
    if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (field.name.startsWith('_')) continue;
        if (!field.description) missing.push(`${type.name}.${field.name}`);
        for (const arg of 'args' in field ? field.args : [])
          if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
      }
    }
    if (isEnumType(type)) for (const v of type.getValues()) if (!v.description) missing.push(`${type.name}.${v.name}`);
  }
  return missing;
}
