// docs/sdk.md shows the files of client-sdk/examples/ verbatim (and typecheck.test.ts compiles them), so the guide's
// code cannot rot.
import fs from 'node:fs';
import path from 'node:path';

const sdkRoot = path.resolve(__dirname, '..');
const doc = fs.readFileSync(path.join(sdkRoot, '..', 'docs', 'sdk.md'), 'utf8');
const examples = fs.readdirSync(path.join(sdkRoot, 'examples')).filter((f) => f.endsWith('.ts'));

describe('docs/sdk.md', () => {
  it('embeds every example file, each verbatim after its marker', () => {
    const embedded = [...doc.matchAll(/<!-- example: (\S+) -->\n\n```ts\n([\s\S]*?)```/g)].map((m) => ({
      file: m[1]!,
      code: m[2]!,
    }));
    expect(embedded.map((e) => e.file).sort()).toEqual([...examples].sort());
    for (const { file, code } of embedded)
      expect(code).toBe(fs.readFileSync(path.join(sdkRoot, 'examples', file), 'utf8'));
  });

  it('has no marker without its code block', () => {
    expect(doc.match(/<!-- example:/g)?.length).toBe(examples.length);
  });
});
