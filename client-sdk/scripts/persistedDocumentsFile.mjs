// The trusted-documents manifest of the SDK: `{ "<sha256 hex>": "<document>" }` for every operation document that
// codegen generated into client-sdk/src/generated/graphql.ts, each printed exactly as the SDK sends it (graphql's
// `print` of the generated DocumentNode), so the hash the SDK computes at run time is a key of this file. A gateway
// with TRUSTED_DOCUMENTS=allow|require reads it (TRUSTED_DOCUMENTS_PATH).
import { createHash } from 'node:crypto';
import { print } from 'graphql';

/** Where the manifest lives, relative to the repository root. */
export const PERSISTED_DOCUMENTS_OUT = 'client-sdk/src/generated/persisted-documents.json';

// typed-document-node writes each operation as one line: `export const <Name>Document = <JSON> as unknown as ...`.
const DOCUMENT_LINE = /^export const (\w+)Document = (\{.*\}) as unknown as DocumentNode</gm;

/**
 * The manifest's text for the generated module `generatedTs` (the contents of graphql.ts): keys sorted, one entry per
 * operation. Throws when the module holds no document (a changed codegen output format must not yield an empty list).
 */
export function renderPersistedDocuments(generatedTs) {
  const entries = [];
  for (const [, name, json] of generatedTs.matchAll(DOCUMENT_LINE)) {
    const text = print(JSON.parse(json));
    entries.push([createHash('sha256').update(text).digest('hex'), text, name]);
  }
  if (entries.length === 0) throw new Error('persisted documents: no `...Document` found in the generated module');
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${JSON.stringify(Object.fromEntries(entries.map(([hash, text]) => [hash, text])), null, 2)}\n`;
}
