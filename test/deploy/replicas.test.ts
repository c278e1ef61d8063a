// `npm start` with SUBGRAPH_REPLICAS: which processes scripts/stackProcesses.js lists, on which ports, and the replica
// URLs every process is given (the gateway balances over them; a subgraph calling another does too).
import { loadConfig } from '@chatgraph/config';
import { SUBGRAPHS } from '@chatgraph/manifest';
import { stackProcesses } from '../../scripts/stackProcesses';

const config = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ...env }, { stdoutIsTTY: false });

describe('npm start with subgraph replicas', () => {
  it('runs one process of each service by default, with nothing added to their environment', () => {
    const processes = stackProcesses(config({}), undefined, {});
    expect(processes.map((p) => p.name)).toEqual([...SUBGRAPHS.map((s) => s.name), 'gateway', 'notifier']);
    expect(processes.every((p) => Object.keys(p.env).length === 0)).toBe(true);
  });

  it('runs SUBGRAPH_REPLICAS processes of each subgraph on ports 100 apart, and gives everyone their URLs', () => {
    const processes = stackProcesses(config({ SUBGRAPH_REPLICAS: '2' }), undefined, {});
    const byName = Object.fromEntries(processes.map((p) => [p.name, p]));
    expect(Object.keys(byName)).toEqual([
      'users',
      'users-2',
      'chats',
      'chats-2',
      'presence',
      'presence-2',
      'notifications',
      'notifications-2',
      'gateway',
      'notifier',
    ]);
    expect([byName.users!.port, byName['users-2']!.port]).toEqual([4001, 4101]);
    expect(byName['users-2']!.adminUrl).toBe('http://127.0.0.1:9101');
    expect(byName['users-2']!.env).toMatchObject({ USERS_PORT: '4101', ADMIN_PORT: '9101' });
    for (const p of processes) {
      expect(p.env).toMatchObject({
        USERS_URL: 'http://127.0.0.1:4001/graphql,http://127.0.0.1:4101/graphql',
        CHATS_URL: 'http://127.0.0.1:4002/graphql,http://127.0.0.1:4102/graphql',
        PRESENCE_URL: 'http://127.0.0.1:4003/graphql,http://127.0.0.1:4103/graphql',
        NOTIFICATIONS_URL: 'http://127.0.0.1:4004/graphql,http://127.0.0.1:4104/graphql',
      });
    }
    // The URLs are valid replica lists for every process's configuration.
    expect(loadConfig({ NODE_ENV: 'test', ...byName.gateway!.env }).CHATS_URL).toBe(byName.gateway!.env.CHATS_URL);
  });

  it('keeps a URL variable set by the operator (replicas run elsewhere)', () => {
    const env = { CHATS_URL: 'http://10.0.0.5:4002/graphql' };
    const processes = stackProcesses(config({ SUBGRAPH_REPLICAS: '2', ...env }), undefined, env);
    expect(processes.find((p) => p.name === 'gateway')!.env.CHATS_URL).toBeUndefined();
    expect(processes.find((p) => p.name === 'gateway')!.env.USERS_URL).toContain(',');
  });

  it('refuses a replica count out of range', () => {
    expect(() => config({ SUBGRAPH_REPLICAS: '0' })).toThrow(/SUBGRAPH_REPLICAS/);
    expect(() => config({ SUBGRAPH_REPLICAS: '10' })).toThrow(/SUBGRAPH_REPLICAS/);
  });
});
