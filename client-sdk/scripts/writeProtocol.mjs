#!/usr/bin/env node
// `npm run codegen` (second step): writes the SDK's copy of the wire protocol from the server's error registry, and
// the trusted-documents manifest of the operations codegen just generated.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROTOCOL_OUT, renderProtocol } from './protocolFile.mjs';
import { PERSISTED_DOCUMENTS_OUT, renderPersistedDocuments } from './persistedDocumentsFile.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
fs.writeFileSync(path.join(root, PROTOCOL_OUT), renderProtocol(root));
const generated = fs.readFileSync(path.join(root, 'client-sdk/src/generated/graphql.ts'), 'utf8');
fs.writeFileSync(path.join(root, PERSISTED_DOCUMENTS_OUT), renderPersistedDocuments(generated));
