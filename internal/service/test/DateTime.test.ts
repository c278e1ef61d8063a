import fs from 'node:fs';
import path from 'node:path';
import { GraphQLError, Kind, buildSchema } from 'graphql';
import { DateTime } from '../src';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

describe('DateTime', () => {
  it('serializes every accepted instant as the ISO-8601 UTC string with milliseconds clients read', () => {
    const at = '2026-01-31T12:00:00.000Z';
    expect(DateTime.serialize(new Date(at))).toBe(at);
    expect(DateTime.serialize('2026-01-31T12:00:00Z')).toBe(at);
    expect(DateTime.serialize('2026-01-31T13:00:00+01:00')).toBe(at);
    expect(DateTime.serialize(Date.parse(at))).toBe(at);
    expect(DateTime.serialize(new Date('2026-01-31T12:00:00.123Z'))).toBe('2026-01-31T12:00:00.123Z');
  });

  it('refuses to serialize something that is not an instant', () => {
    expect(() => DateTime.serialize(new Date(NaN))).toThrow();
    expect(() => DateTime.serialize('yesterday')).toThrow();
  });

  it('reads RFC 3339 input into a Date, and calls anything else the client’s mistake', () => {
    expect(DateTime.parseValue('2026-01-31T13:00:00.5+01:00')).toEqual(new Date('2026-01-31T12:00:00.500Z'));
    expect(DateTime.parseLiteral({ kind: Kind.STRING, value: '2026-01-31T12:00:00Z' })).toEqual(
      new Date('2026-01-31T12:00:00.000Z'),
    );
    for (const bad of ['2026-01-31', '2026-02-30T00:00:00Z', 'soon', 1767000000000]) {
      let error: unknown;
      try {
        DateTime.parseValue(bad);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(GraphQLError);
      expect((error as GraphQLError).extensions.code).toBe('BAD_USER_INPUT');
    }
  });

  it('is described in every subgraph SDL as it describes itself (its description replaces the SDL’s at run time)', () => {
    for (const service of ['users', 'chats', 'presence']) {
      const sdl = fs.readFileSync(path.join(repoRoot, 'subgraphs', service, 'src', 'schema.graphql'), 'utf8');
      const declared = /("[^"\n]*"|"""[\s\S]*?""")\s*\nscalar DateTime\b/.exec(sdl);
      expect(declared).not.toBeNull();
      const description = buildSchema(`${declared![1]} scalar DateTime`, { assumeValidSDL: true }).getType(
        'DateTime',
      )?.description;
      expect({ service, description }).toEqual({ service, description: DateTime.description });
    }
  });
});
