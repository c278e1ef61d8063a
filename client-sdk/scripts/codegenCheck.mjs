#!/usr/bin/env node
// `npm run codegen:check`: fails when client-sdk/src/generated/ is not what `npm run codegen` would write from the
// current API schema and operations (and the wire protocol from the server's error registry, and the trusted-documents
// manifest of the generated operations). Generates into a temporary directory with the same codegen.yml and compares
// file by file (a missing, changed or extra file is stale).
//
//   node client-sdk/scripts/codegenCheck.mjs [--root <dir>]    <dir>: the repository root (default: this checkout)
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generate, loadCodegenConfig } from '@graphql-codegen/cli';
import { PROTOCOL_OUT, renderProtocol } from './protocolFile.mjs';
import { PERSISTED_DOCUMENTS_OUT, renderPersistedDocuments } from './persistedDocumentsFile.mjs';

const rootArg = process.argv.indexOf('--root');
const root =
  rootArg > 0
    ? path.resolve(process.argv[rootArg + 1])
    : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// Plugins are loaded from the repository root, as the `graphql-codegen` command does. (Imported as ESM, the CLI
// would load the older copies nested under @graphql-codegen/cli/node_modules instead, which generate other code.)
const requireFromRoot = createRequire(path.join(root, 'package.json'));
const pluginLoader = (name) => import(pathToFileURL(requireFromRoot.resolve(name)).href);

/** Every file under `dir`, relative to it. */
function listFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

async function main() {
  const { config } = await loadCodegenConfig({ configFilePath: path.join(root, 'codegen.yml') });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-codegen-'));
  try {
    const outputs = Object.keys(config.generates);
    const generates = Object.fromEntries(
      Object.entries(config.generates).map(([out, options]) => [path.join(tmp, out), options]),
    );
    await generate({ ...config, generates, pluginLoader, cwd: root, silent: true, verbose: false }, true);
    fs.writeFileSync(path.join(tmp, PROTOCOL_OUT), renderProtocol(root));
    outputs.push(PROTOCOL_OUT);
    const generated = fs.readFileSync(path.join(tmp, 'client-sdk/src/generated/graphql.ts'), 'utf8');
    fs.writeFileSync(path.join(tmp, PERSISTED_DOCUMENTS_OUT), renderPersistedDocuments(generated));
    outputs.push(PERSISTED_DOCUMENTS_OUT);

    const problems = [];
    // Every output of the config, and every other file in the directories they are written to.
    const dirs = new Set(outputs.map((out) => path.dirname(out)));
    for (const dir of dirs) {
      const expected = listFiles(path.join(tmp, dir));
      const committed = listFiles(path.join(root, dir));
      for (const file of expected) {
        const rel = path.join(dir, file);
        const want = fs.readFileSync(path.join(tmp, rel), 'utf8');
        const have = fs.existsSync(path.join(root, rel)) ? fs.readFileSync(path.join(root, rel), 'utf8') : undefined;
        if (have === undefined) problems.push(`missing: ${rel}`);
        else if (have !== want) problems.push(`out of date: ${rel}`);
      }
      for (const file of committed)
        if (!expected.includes(file)) problems.push(`not generated (remove it): ${path.join(dir, file)}`);
    }
    if (problems.length) {
      process.stderr.write(
        `The generated SDK code is stale:\n${problems.map((p) => `  ${p}`).join('\n')}\nRun \`npm run codegen\` and commit the result.\n`,
      );
      return 1;
    }
    process.stdout.write(`Generated SDK code is up to date (${outputs.join(', ')}).\n`);
    return 0;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`codegen:check failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
