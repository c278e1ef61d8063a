// `npm run codegen:check`: the committed generated code matches what codegen.yml (and the server's error registry)
// produce now, and the check notices when it does not (a copy of the inputs with a stale output).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..');
const check = (args: string[] = []) =>
  spawnSync(process.execPath, [path.join(repoRoot, 'client-sdk', 'scripts', 'codegenCheck.mjs'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
  });

describe('codegen:check', () => {
  it('passes on this checkout: client-sdk/src/generated is what `npm run codegen` writes', () => {
    const run = check();
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  }, 30_000);

  it('fails, naming the files, when the generated code is stale or has extra files', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-codegen-check-'));
    try {
      for (const p of [
        'codegen.yml',
        'package.json',
        'gateway/api-schema.graphql',
        'client-sdk/operations',
        'client-sdk/src/generated',
        'internal/errors/dist',
      ])
        fs.cpSync(path.join(repoRoot, p), path.join(root, p), { recursive: true });
      fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(root, 'node_modules'));
      // An operation changed without regenerating, and a leftover file.
      fs.appendFileSync(
        path.join(root, 'client-sdk/operations/chats.graphql'),
        '\nquery Extra($id: ID!) { chat(id: $id) { id } }\n',
      );
      fs.writeFileSync(path.join(root, 'client-sdk/src/generated/old.ts'), 'export {};\n');
      // A protocol copy edited by hand (the server registry says otherwise).
      const protocol = path.join(root, 'client-sdk/src/generated/protocol.ts');
      fs.writeFileSync(protocol, fs.readFileSync(protocol, 'utf8').replace('"code": 4401', '"code": 4402'));
      const run = check(['--root', root]);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('out of date: client-sdk/src/generated/graphql.ts');
      expect(run.stderr).toContain('out of date: client-sdk/src/generated/protocol.ts');
      expect(run.stderr).toContain('not generated (remove it): client-sdk/src/generated/old.ts');
      expect(run.stderr).toContain('npm run codegen');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }, 30_000);
});
