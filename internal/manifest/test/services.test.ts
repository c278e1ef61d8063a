import fs from 'node:fs';
import path from 'node:path';
import { ADMIN_PORT_OFFSET, BACKING_SERVICES, isSubgraph, SERVICES, SUBGRAPHS, serviceNamed } from '../src';

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

  it('gives every service an admin port at its port + 5000 (a worker: its only port) serving /health, /ready, /metrics and /stats', () => {
    for (const s of SERVICES) {
      expect({ service: s.name, admin: s.admin.default }).toEqual({
        service: s.name,
        admin: s.kind === 'worker' ? s.port.default : s.port.default + ADMIN_PORT_OFFSET,
      });
      expect([...s.admin.paths].sort()).toEqual(['/health', '/metrics', '/ready', '/stats']);
    }
    const ports = [...new Set(SERVICES.flatMap((s) => [s.port.default, s.admin.default]))];
    expect(ports).toHaveLength(SERVICES.length * 2 - SERVICES.filter((s) => s.kind === 'worker').length);
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

describe('backing services', () => {
  it('names each backing service and URL variable once, each with a launcher for npm start', () => {
    expect(new Set(BACKING_SERVICES.map((b) => b.name)).size).toBe(BACKING_SERVICES.length);
    expect(new Set(BACKING_SERVICES.map((b) => b.urlKey)).size).toBe(BACKING_SERVICES.length);
    for (const b of BACKING_SERVICES) {
      expect({ name: b.name, launcher: fs.existsSync(path.join(root, 'scripts', 'backing', `${b.name}.js`)) }).toEqual({
        name: b.name,
        launcher: true,
      });
    }
  });
});
