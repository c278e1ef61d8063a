import {
  ERRORS,
  isSubtype,
  isValidLeafValue,
  typenameFieldName,
  Variable,
  type CompositeType,
  type FieldSelection,
  type NamedType,
  type Operation,
  type Schema,
  type SelectionSet,
  type Type,
} from '@apollo/federation-internals';
import type { GraphQLError } from 'graphql';

/** `@skip`/`@include` of a selection: a constant, or the name of the Boolean variable that decides. */
type Condition = boolean | string;

interface FieldShape {
  kind: 'field';
  skip?: Condition;
  include?: Condition;
  responseName: string;
  /** An introspection field (`__schema`, `__type`): answered by the gateway, not read from the subgraphs' data. */
  introspection?: FieldSelection;
  typename: boolean;
  type: Type;
  selections?: SetShape;
}

interface FragmentShape {
  kind: 'fragment';
  skip?: Condition;
  include?: Condition;
  typeCondition?: CompositeType;
  /** Whether the type condition holds, by the object's type name (filled as types are met). */
  applies: Map<string, boolean>;
  selections: SetShape;
}

type SetShape = ReadonlyArray<FieldShape | FragmentShape>;

/**
 * An operation's selections, read once from the operation (directives, response names, field types, introspection
 * fields) into plain arrays, for {@link shapeResponse} to walk on every request.
 */
export interface ResponseShape {
  schema: Schema;
  rootType: CompositeType;
  selections: SetShape;
  /** The operation's variables with a default value, under what the request gives. */
  defaults: Record<string, unknown>;
  /** Whether any selection has `@skip` or `@include` on a variable (only then are variables read). */
  conditional: boolean;
}

/** Reads `operation` into a {@link ResponseShape}. */
export function compileShape(operation: Operation): ResponseShape {
  const schema = operation.schema();
  const skipDirective = schema.skipDirective();
  const includeDirective = schema.includeDirective();
  let conditional = false;
  const condition = (element: FieldSelection['element'], which: typeof skipDirective): Condition | undefined => {
    const applied = element.appliedDirectivesOf(which)[0];
    if (!applied) return undefined;
    const value = applied.arguments().if;
    if (value instanceof Variable) {
      conditional = true;
      return value.name;
    }
    return value as boolean;
  };
  const compile = (set: SelectionSet): SetShape =>
    set.selections().map((selection): FieldShape | FragmentShape => {
      const element = selection.element as FieldSelection['element'];
      const skip = condition(element, skipDirective);
      const include = condition(element, includeDirective);
      if (selection.kind === 'FieldSelection') {
        const field = selection.element;
        return {
          kind: 'field',
          skip,
          include,
          responseName: field.responseName(),
          introspection: field.definition.isSchemaIntrospectionField() ? selection : undefined,
          typename: field.name === typenameFieldName,
          type: field.definition.type!,
          selections: selection.selectionSet ? compile(selection.selectionSet) : undefined,
        };
      }
      return {
        kind: 'fragment',
        skip,
        include,
        typeCondition: selection.element.typeCondition,
        applies: new Map(),
        selections: compile(selection.selectionSet),
      };
    });
  const selections = compile(operation.selectionSet);
  return {
    schema,
    rootType: schema.schemaDefinition.rootType(operation.rootKind)!,
    selections,
    defaults: operation.collectDefaultedVariableValues(),
    conditional,
  };
}

interface Run {
  schema: Schema;
  variables: Record<string, unknown>;
  errors: GraphQLError[];
  introspection: (field: FieldSelection) => unknown;
}

const OK = 0;
const NULL_BUBBLE_UP = 1;
const NONE = Object.freeze({}) as Record<string, unknown>;

/**
 * The response to an operation from the data its fetches merged: only the fields the operation selects, under their
 * response names, in its order, each value checked against its type; a null (or an invalid value) in a non-null
 * position nulls the nearest nullable parent, with an error; introspection fields answered by `introspection`.
 *
 * The result-shaping semantics of `@apollo/gateway` (its `computeResponse`, errors and messages included), on a
 * {@link ResponseShape} instead of the operation: what that function looks up in the operation on every request
 * (selections, directives, response names, field definitions) is read here once per plan.
 */
export function shapeResponse(
  shape: ResponseShape,
  input: Record<string, unknown> | null | undefined,
  variables: Record<string, unknown> | undefined,
  introspection: (field: FieldSelection) => unknown,
): { data: Record<string, unknown> | null | undefined; errors: GraphQLError[] } {
  if (!input) return { data: input, errors: [] };
  const run: Run = {
    schema: shape.schema,
    variables: shape.conditional ? { __proto__: null, ...shape.defaults, ...variables } : NONE,
    errors: [],
    introspection,
  };
  const data: Record<string, unknown> = Object.create(null);
  const result = applySelections(run, input, shape.selections, data, [], shape.rootType);
  return { data: result === NULL_BUBBLE_UP ? null : data, errors: run.errors };
}

function holds(run: Run, condition: Condition): boolean {
  if (typeof condition === 'boolean') return condition;
  const value = run.variables[condition];
  if (typeof value !== 'boolean') throw new Error(`Unexpected value ${String(value)} for variable $${condition}`);
  return value;
}

function skipped(run: Run, selection: FieldShape | FragmentShape): boolean {
  return (
    (selection.skip !== undefined && holds(run, selection.skip)) ||
    (selection.include !== undefined && !holds(run, selection.include))
  );
}

function applies(run: Run, fragment: FragmentShape, typename: string | undefined, parentType: CompositeType): boolean {
  const condition = fragment.typeCondition;
  if (!condition) return true;
  const name = typename || parentType.name;
  let known = fragment.applies.get(name);
  if (known === undefined) {
    const type = typename ? run.schema.type(typename) : parentType;
    known = !!type && isSubtype(condition, type);
    fragment.applies.set(name, known);
  }
  return known;
}

function applySelections(
  run: Run,
  input: Record<string, unknown>,
  selections: SetShape,
  output: Record<string, unknown>,
  path: Array<string | number>,
  parentType: CompositeType,
): typeof OK | typeof NULL_BUBBLE_UP {
  for (const selection of selections) {
    if ((selection.skip !== undefined || selection.include !== undefined) && skipped(run, selection)) continue;
    if (selection.kind === 'field') {
      const { responseName } = selection;
      const outputValue = output[responseName];
      if (selection.introspection) {
        if (outputValue === undefined) output[responseName] = run.introspection(selection.introspection);
        continue;
      }
      let inputValue = Object.prototype.hasOwnProperty.call(input, responseName) ? (input[responseName] ?? null) : null;
      if (selection.typename) {
        if (outputValue === undefined) {
          if (inputValue === null && responseName !== typenameFieldName) inputValue = input[typenameFieldName] ?? null;
          const type =
            inputValue !== null && typeof inputValue === 'string'
              ? (run.schema.type(inputValue) ?? parentType)
              : parentType;
          if (type.kind !== 'ObjectType') return NULL_BUBBLE_UP;
          output[responseName] = type.name;
        }
        continue;
      }
      path.push(responseName);
      const { updated, isInvalid } = updateValue(
        run,
        outputValue,
        selection.type,
        inputValue,
        selection.selections,
        path,
        parentType,
      );
      output[responseName] = updated;
      path.pop();
      if (isInvalid) return NULL_BUBBLE_UP;
    } else {
      const typename = input[typenameFieldName];
      if (typename && typeof typename !== 'string')
        throw new Error(`Got unexpected value for __typename: ${String(typename)}`);
      if (applies(run, selection, typename as string | undefined, parentType)) {
        const result = applySelections(
          run,
          input,
          selection.selections,
          output,
          path,
          selection.typeCondition ?? parentType,
        );
        if (result === NULL_BUBBLE_UP) return NULL_BUBBLE_UP;
      }
    }
  }
  return OK;
}

function describeLast(path: ReadonlyArray<string | number>, type: Type, parentType: CompositeType): string {
  const last = path[path.length - 1];
  return typeof last === 'string' ? `field ${parentType}.${last}` : `array element of type ${type} at index ${last}`;
}

interface Updated {
  updated: unknown;
  isInvalid?: boolean;
  hasErrors?: boolean;
}

function updateValue(
  run: Run,
  outputValue: unknown,
  type: Type,
  inputValue: unknown,
  selections: SetShape | undefined,
  path: Array<string | number>,
  parentType: CompositeType,
): Updated {
  if (outputValue === null || (outputValue !== undefined && !selections)) return { updated: outputValue };
  if (type.kind === 'NonNullType') {
    const { updated, hasErrors } = updateValue(run, outputValue, type.ofType, inputValue, selections, path, parentType);
    if (updated === null) {
      if (!hasErrors) {
        run.errors.push(
          ERRORS.INVALID_GRAPHQL.err(
            `Cannot return null for non-nullable ${describeLast(path, type.ofType, parentType)}.`,
            { path: Array.from(path) },
          ),
        );
      }
      return { updated, isInvalid: true, hasErrors: true };
    }
    return { updated };
  }
  if (inputValue === null) return { updated: null };
  if (type.kind === 'ListType') {
    if (!Array.isArray(inputValue))
      throw new Error(`Invalid non-list value returned by subgraph for list type ${type}`);
    if (outputValue !== undefined && !Array.isArray(outputValue)) {
      throw new Error(`Invalid non-list value returned by subgraph for list type ${type}`);
    }
    const outputs = (outputValue as unknown[] | undefined) ?? new Array<unknown>(inputValue.length).fill(undefined);
    if (outputs.length !== inputValue.length) {
      throw new Error(`[…].length (${inputValue.length}) !== […].length (${outputs.length})`);
    }
    let shouldNullify = false;
    let hasErrors = false;
    const updated = outputs.map((element, i) => {
      path.push(i);
      const one = updateValue(run, element, type.ofType, inputValue[i], selections, path, parentType);
      path.pop();
      shouldNullify ||= !!one.isInvalid;
      hasErrors ||= !!one.hasErrors;
      return one.updated;
    });
    return { updated: shouldNullify ? null : updated, hasErrors };
  }
  if (type.kind === 'ObjectType' || type.kind === 'InterfaceType' || type.kind === 'UnionType') {
    if (!selections) throw new Error(`Invalid empty selection set for composite type ${type}`);
    if (typeof inputValue !== 'object') {
      throw new Error(`Invalid non-object value ${String(inputValue)} returned by subgraph for composite type ${type}`);
    }
    const input = inputValue as Record<string, unknown>;
    const inputTypename = input[typenameFieldName];
    if (inputTypename !== undefined && typeof inputTypename !== 'string') {
      throw new Error(`Invalid non-string value ${String(inputTypename)} for __typename at ${path.join(',')}`);
    }
    let objectType: CompositeType = type;
    if (inputTypename) {
      const named: NamedType | undefined = run.schema.type(inputTypename);
      if (!named || (named.kind !== 'ObjectType' && named.kind !== 'InterfaceType' && named.kind !== 'UnionType')) {
        run.errors.push(
          ERRORS.INVALID_GRAPHQL.err(
            `Invalid __typename found for object at ${describeLast(path, type, parentType)}.`,
            {
              path: Array.from(path),
            },
          ),
        );
        return { updated: null, hasErrors: true };
      }
      objectType = named;
    }
    const output = (outputValue as Record<string, unknown> | undefined) ?? Object.create(null);
    const hasErrors = applySelections(run, input, selections, output, path, objectType) === NULL_BUBBLE_UP;
    return { updated: hasErrors ? null : output, hasErrors };
  }
  const valid = isValidLeafValue(run.schema, inputValue, type as Parameters<typeof isValidLeafValue>[2]);
  if (!valid) {
    run.errors.push(
      ERRORS.INVALID_GRAPHQL.err(`Invalid value found for ${describeLast(path, type, parentType)}.`, {
        path: Array.from(path),
      }),
    );
  }
  return { updated: valid ? inputValue : null, hasErrors: !valid };
}
