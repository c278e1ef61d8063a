import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { GraphQLError } from 'graphql';
import type { TrustedDocumentsMode } from '@chatgraph/config';
import { userError } from '@chatgraph/errors';

/** The manifest the SDK's codegen writes: `{ "<sha256 hex of the document>": "<document>" }`. */
export const DEFAULT_MANIFEST_PATH = path.join(
  __dirname,
  '..',
  '..',
  '..',
  'client-sdk',
  'src',
  'generated',
  'persisted-documents.json',
);

/** Where a request's document comes from: its text, and the hash of Apollo's persisted-query extension. */
export interface DocumentSource {
  query?: unknown;
  extensions?: unknown;
}

/** A read-only view of the manifest in the shape Apollo Server's persisted-query cache takes. */
export interface ManifestCache {
  get(key: string): Promise<string | undefined>;
  set(): Promise<void>;
  delete(): Promise<boolean>;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const OPERATION_NAME = /\b(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/g;

/**
 * The operation names of the SDK's manifest (whatever `TRUSTED_DOCUMENTS` says): the allow-list of names that label
 * request metrics. Empty when the manifest cannot be read (every name is then `other`).
 */
export function operationNames(manifestPath = DEFAULT_MANIFEST_PATH): string[] {
  let documents: unknown;
  try {
    documents = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  } catch {
    return [];
  }
  if (typeof documents !== 'object' || documents === null) return [];
  const names = new Set<string>();
  for (const text of Object.values(documents))
    if (typeof text === 'string') for (const match of text.matchAll(OPERATION_NAME)) names.add(match[1]!);
  return [...names].sort();
}

/** sha256 of a document's text, lower-case hex (Apollo's persisted-query hash). */
export function documentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The `sha256Hash` of Apollo's persisted-query extension (`{ persistedQuery: { version: 1, sha256Hash } }`). */
export function persistedQueryHash(extensions: unknown): string | undefined {
  if (typeof extensions !== 'object' || extensions === null) return undefined;
  const pq = (extensions as { persistedQuery?: unknown }).persistedQuery;
  if (typeof pq !== 'object' || pq === null) return undefined;
  const hash = (pq as { sha256Hash?: unknown }).sha256Hash;
  return typeof hash === 'string' ? hash.toLowerCase() : undefined;
}

/**
 * The gateway's trusted documents (`TRUSTED_DOCUMENTS`): the operations of the SDK's manifest, by sha256 hash.
 * - `off`: any operation runs (Apollo's own persisted queries as they come).
 * - `allow`: any operation runs, and a request may send only the hash of a manifest document (Apollo's persisted-query
 *   extension, HTTP and WebSocket) instead of its text.
 * - `require`: only manifest documents run, sent by hash or in full (their text hashing to a manifest entry); anything
 *   else is refused with `OPERATION_NOT_TRUSTED` before it is parsed. An unknown hash is `PERSISTED_QUERY_NOT_FOUND`.
 */
export class TrustedDocuments {
  private constructor(
    readonly mode: TrustedDocumentsMode,
    private readonly documents: ReadonlyMap<string, string>,
  ) {}

  /** Reads the manifest (not in `off` mode). @throws Error naming the file when it is missing or malformed */
  static load(mode: TrustedDocumentsMode, manifestPath = DEFAULT_MANIFEST_PATH): TrustedDocuments {
    if (mode === 'off') return new TrustedDocuments(mode, new Map());
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
    } catch (err) {
      throw new Error(`TRUSTED_DOCUMENTS=${mode}: cannot read ${manifestPath}: ${(err as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error(`TRUSTED_DOCUMENTS=${mode}: ${manifestPath} is not an object of hash → document`);
    const documents = new Map<string, string>();
    for (const [hash, text] of Object.entries(parsed)) {
      if (!SHA256_HEX.test(hash) || typeof text !== 'string' || documentHash(text) !== hash)
        throw new Error(`TRUSTED_DOCUMENTS=${mode}: entry ${hash} of ${manifestPath} is not sha256 → its document`);
      documents.set(hash, text);
    }
    return new TrustedDocuments(mode, documents);
  }

  /** How many documents the manifest holds. */
  get size(): number {
    return this.documents.size;
  }

  /** The manifest as Apollo Server's persisted-query cache (keys come prefixed `apq:`); never written to. */
  apqCache(): ManifestCache {
    return {
      get: async (key) => this.documents.get(key.replace(/^apq:/, '')),
      set: async () => {},
      delete: async () => false,
    };
  }

  /**
   * The refusal of a request whose document may not run, or undefined. In `require` mode a document sent in full
   * must be in the manifest; one sent by hash only is left to the lookup (unknown: `PERSISTED_QUERY_NOT_FOUND`).
   */
  refusal(source: DocumentSource): GraphQLError | undefined {
    if (this.mode !== 'require') return undefined;
    if (typeof source.query !== 'string' || source.query === '') return undefined;
    if (this.documents.has(documentHash(source.query))) return undefined;
    const error = userError(
      'OPERATION_NOT_TRUSTED',
      'This gateway only runs the operations of its trusted-documents manifest; send one of them (by hash or in full).',
    );
    error.extensions.http = { status: 400 };
    return error;
  }

  /**
   * The text to run for a WebSocket subscribe message: its `query`, or the manifest document its persisted-query
   * hash names (not in `off` mode); a list of errors when it may not run.
   */
  resolve(source: DocumentSource): string | GraphQLError[] {
    const refused = this.refusal(source);
    if (refused) return [refused];
    if (typeof source.query === 'string' && source.query !== '') return source.query;
    const hash = persistedQueryHash(source.extensions);
    if (hash === undefined || this.mode === 'off')
      return [userError('BAD_USER_INPUT', 'The subscribe message needs a query string.')];
    const text = this.documents.get(hash);
    if (text === undefined)
      return [userError('PERSISTED_QUERY_NOT_FOUND', 'No trusted document has this hash; send the full document.')];
    return text;
  }
}
