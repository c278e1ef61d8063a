#!/usr/bin/env node
// `npm run codegen` (second step): writes the SDK's copy of the wire protocol from the server's error registry.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROTOCOL_OUT, renderProtocol } from './protocolFile.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
fs.writeFileSync(path.join(root, PROTOCOL_OUT), renderProtocol(root));
