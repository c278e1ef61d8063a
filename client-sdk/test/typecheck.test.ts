// Compile-time guarantees, checked with the real compiler (one tsc run): the documentation's examples compile against
// the SDK, and the mistakes in fixtures/wrongVariables.ts are rejected with exactly the errors announced there.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const sdkRoot = path.resolve(__dirname, '..');
const repoRoot = path.resolve(sdkRoot, '..');
const fixture = path.join(__dirname, 'fixtures', 'wrongVariables.ts');

interface Diagnostic {
  file: string;
  line: number;
  code: string;
  /** The message with its continuation lines. */
  text: string;
}

function typecheck(): Diagnostic[] {
  const tsc = require.resolve('typescript/bin/tsc');
  const run = spawnSync(process.execPath, [tsc, '-p', path.join(__dirname, 'fixtures'), '--pretty', 'false'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  const diagnostics: Diagnostic[] = [];
  for (const line of run.stdout.split('\n')) {
    const m = /^(.+?)\((\d+),\d+\): error (TS\d+): (.*)$/.exec(line);
    if (m) diagnostics.push({ file: path.resolve(repoRoot, m[1]!), line: Number(m[2]), code: m[3]!, text: m[4]! });
    else if (line.startsWith('  ') && diagnostics.length)
      diagnostics[diagnostics.length - 1]!.text += ` ${line.trim()}`;
    else if (line.trim()) throw new Error(`unexpected tsc output: ${line}\n${run.stdout}${run.stderr}`);
  }
  return diagnostics;
}

/** The `// error TSxxxx: text` announcements of the fixture, for the line after each. */
function announced(): Array<{ line: number; code: string; text: string }> {
  return fs
    .readFileSync(fixture, 'utf8')
    .split('\n')
    .flatMap((source, i) => {
      const m = /^\s*\/\/ error (TS\d+): (.*)$/.exec(source);
      return m ? [{ line: i + 2, code: m[1]!, text: m[2]! }] : [];
    });
}

describe('the SDK types', () => {
  let diagnostics: Diagnostic[];

  beforeAll(() => {
    diagnostics = typecheck();
  }, 60_000);

  it('compile every example of the documentation without an error', () => {
    expect(diagnostics.filter((d) => d.file !== fixture)).toEqual([]);
  });

  it('reject a wrong variable, a missing one, an unknown enum value or field, and a misused result, with the expected errors', () => {
    const expected = announced();
    expect(expected.length).toBeGreaterThanOrEqual(7);
    const got = diagnostics.filter((d) => d.file === fixture);
    expect(got.map((d) => `${d.line} ${d.code}`)).toEqual(expected.map((e) => `${e.line} ${e.code}`));
    for (const [i, e] of expected.entries()) expect(got[i]!.text).toContain(e.text);
  });
});
