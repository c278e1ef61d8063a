import fs from 'node:fs';
import path from 'node:path';
import { isSubgraph, SERVICES, SUBGRAPHS, serviceNamed } from '../src';

const root = path.resolve(__dirname, '..', '..', '..');

describe('service manifest', () => {
  it('names each service, port variable, default port and URL variable once', () => {
    const unique = (values: unknown[]) => new Set(values).size === values.length;
    expect(unique(SERVICES.map((s) => s.name))).toBe(true);
    expect(unique(SERVICES.map((s) => s.port.key))).toBe(true);
    expect(unique(SERVICES.map((s) => s.port.default))).toBe(true);
    expect(unique(SUBGRAPHS.map((s) => s.graphql.urlKey))).toBe(true);
  });

  it('points at entry points the build produces and SDL files that exist', () => {
    for (const s of SERVICES) {
      // tsc --build compiles <package>/src/index.ts to <package>/dist/index.js.
      const source = s.entry.replace('/dist/', '/src/').replace(/\.js$/, '.ts');
      expect({ service: s.name, source: fs.existsSync(path.join(root, source)) }).toEqual({
        service: s.name,
        source: true,
      });
      expect(s.health.startsWith('/')).toBe(true);
    }
    for (const s of SUBGRAPHS) expect(fs.existsSync(path.join(root, s.graphql.schema))).toBe(true);
  });

  it('starts every service after the subgraphs it calls', () => {
    for (const s of SERVICES) {
      for (const key of s.upstreams) {
        const upstream = SUBGRAPHS.find((u) => u.graphql.urlKey === key);
        expect({ service: s.name, upstream: key, known: upstream !== undefined }).toEqual({
          service: s.name,
          upstream: key,
          known: true,
        });
        expect(upstream!.phase).toBeLessThan(s.phase);
      }
    }
  });

  it('has the gateway call every subgraph', () => {
    expect([...serviceNamed('gateway').upstreams].sort()).toEqual(SUBGRAPHS.map((s) => s.graphql.urlKey).sort());
    expect(SERVICES.filter(isSubgraph).map((s) => s.name)).toEqual(SUBGRAPHS.map((s) => s.name));
  });

  it('refuses an unknown name with the list of known ones', () => {
    expect(() => serviceNamed('mailer')).toThrow(
      /unknown service mailer \(known: users, chats, presence, notifications, gateway, notifier\)/,
    );
  });
});
