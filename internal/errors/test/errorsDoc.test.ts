import fs from 'node:fs';
import path from 'node:path';
import { ErrorCodes, errorsMarkdown } from '../src';

describe('docs/errors.md', () => {
  it('is generated from the registry and up to date (run `npm run docs:errors`)', () => {
    const file = path.join(__dirname, '..', '..', '..', 'docs', 'errors.md');
    expect(fs.readFileSync(file, 'utf8')).toBe(errorsMarkdown());
  });
  it('documents every code', () => {
    for (const code of Object.keys(ErrorCodes)) expect(errorsMarkdown()).toContain(`| \`${code}\` |`);
  });
});
