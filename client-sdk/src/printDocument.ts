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
