import { print, type DocumentNode, type OperationDefinitionNode } from 'graphql';

/** A document as it goes over the wire. */
export interface PrintedDocument {
  query: string;
  operationName: string | undefined;
}

// Documents are printed once: generated documents are module constants, so entries live as long as the page.
const cache = new WeakMap<DocumentNode, PrintedDocument>();

/** The query text and operation name of a document (printed once per document). */
export function printDocument(document: DocumentNode): PrintedDocument {
  let entry = cache.get(document);
  if (!entry) {
    const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');
    entry = { query: print(document), operationName: operation?.name?.value };
    cache.set(document, entry);
  }
  return entry;
}

const hashes = new WeakMap<DocumentNode, Promise<string>>();

/**
 * The sha256 (lower-case hex) of the printed document: its key in the trusted-documents manifest
 * (`generated/persisted-documents.json`) and the `sha256Hash` of Apollo's persisted-query extension. Computed once per
 * document with Web Crypto (browsers in secure contexts, Node 20).
 */
export function documentHash(document: DocumentNode): Promise<string> {
  let hash = hashes.get(document);
  if (!hash) {
    const { query } = printDocument(document);
    hash = globalThis.crypto.subtle
      .digest('SHA-256', new TextEncoder().encode(query))
      .then((digest) => Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join(''));
    hashes.set(document, hash);
  }
  return hash;
}

/** Apollo's persisted-query extension naming a document by its hash. */
export function persistedQueryExtension(sha256Hash: string): { persistedQuery: { version: 1; sha256Hash: string } } {
  return { persistedQuery: { version: 1, sha256Hash } };
}
