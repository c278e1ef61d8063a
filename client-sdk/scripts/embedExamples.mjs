#!/usr/bin/env node
// Copies each client-sdk/examples/<file>.ts into docs/sdk.md, into the ```ts block after its
// `<!-- example: <file>.ts -->` marker. Run it after editing an example: `node client-sdk/scripts/embedExamples.mjs`.
// (client-sdk/test/docs.test.ts fails while the guide and the files differ.)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const sdkRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const docPath = path.join(sdkRoot, '..', 'docs', 'sdk.md');
const doc = fs.readFileSync(docPath, 'utf8');
const updated = doc.replace(/<!-- example: (\S+) -->\n\n```ts\n[\s\S]*?```/g, (_, file) => {
  const code = fs.readFileSync(path.join(sdkRoot, 'examples', file), 'utf8');
  return `<!-- example: ${file} -->\n\n\`\`\`ts\n${code}\`\`\``;
});
if (updated !== doc) fs.writeFileSync(docPath, updated);
process.stdout.write(updated !== doc ? 'docs/sdk.md updated.\n' : 'docs/sdk.md already matches the examples.\n');
