import { CriticalityLevel, diff, type Change } from '@graphql-inspector/core';
import { buildSchema } from 'graphql';

/** The changes from one API schema to another, by how they affect existing clients. */
export interface SchemaChanges {
  /** Changes that break clients written against the older schema (a removed field, a narrowed type, ...). */
  breaking: Change[];
  /** Changes that may surprise clients (a new enum value, a changed default, ...). */
  dangerous: Change[];
  /** Everything else (additions, descriptions, deprecations). */
  safe: Change[];
}

/**
 * Compares two API schemas (SDL) with GraphQL Inspector. The API grows by addition and deprecation; a breaking change
 * needs a new major version and a changelog entry saying how clients move.
 */
export async function schemaChanges(releasedSdl: string, currentSdl: string): Promise<SchemaChanges> {
  const changes = await diff(buildSchema(releasedSdl), buildSchema(currentSdl));
  const of = (level: CriticalityLevel) => changes.filter((c) => c.criticality.level === level);
  return {
    breaking: of(CriticalityLevel.Breaking),
    dangerous: of(CriticalityLevel.Dangerous),
    safe: of(CriticalityLevel.NonBreaking),
  };
}

/** One line per change: where, and what. */
export function describeChange(change: Change): string {
  return `${change.path ?? '(schema)'}: ${change.message}`;
}
