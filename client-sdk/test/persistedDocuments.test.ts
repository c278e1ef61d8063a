// The trusted-documents manifest and the hashes the SDK sends must agree: a gateway with TRUSTED_DOCUMENTS=require runs
// an SDK operation only if the hash the SDK computes at run time is a key of the manifest codegen wrote.
import fs from 'node:fs';
import path from 'node:path';
import { print, type DocumentNode } from 'graphql';
import * as generated from '../src/generated/graphql.ts';
import { documentHash } from '../src/printDocument.ts';

const manifest = JSON.parse(
  fs.readFileSync(path.resolve(__dirname, '..', 'src', 'generated', 'persisted-documents.json'), 'utf8'),
) as Record<string, string>;
const documents = Object.entries(generated).filter((entry): entry is [string, DocumentNode] =>
  entry[0].endsWith('Document'),
);

describe('generated/persisted-documents.json', () => {
  it('holds every operation of the SDK, under the hash the SDK sends, with the text the SDK would send', async () => {
    expect(documents.length).toBeGreaterThan(20);
    for (const [name, document] of documents) {
      const hash = await documentHash(document);
      expect({ name, text: manifest[hash] }).toEqual({ name, text: print(document) });
    }
    expect(Object.keys(manifest)).toHaveLength(documents.length);
  });

  it('hashes a document the way Apollo persisted queries do (sha256 of the text, lower-case hex)', async () => {
    const [, first] = documents[0]!;
    expect(await documentHash(first)).toMatch(/^[0-9a-f]{64}$/);
  });
});
