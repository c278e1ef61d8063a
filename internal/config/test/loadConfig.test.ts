import { BACKING_SERVICES, SERVICES } from '@chatgraph/manifest';
import { ConfigError, loadConfig } from '../src';

describe('loadConfig', () => {
  it('works with no configuration at all on this machine', () => {
    const config = loadConfig({});
    expect(config.GATEWAY_PORT).toBe(4000);
    expect(config.USERS_SHARDS).toBe(2);
    expect(config.CHATS_SHARDS).toBe(4);
    expect(config.CHATS_URL).toBe('http://127.0.0.1:4002/graphql');
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
  });

  it('has a default URL for every backing service of the manifest (where npm start looks for it)', () => {
    const config: Record<string, unknown> = { ...loadConfig({}) };
    for (const b of BACKING_SERVICES) expect([b.urlKey, typeof config[b.urlKey]]).toEqual([b.urlKey, 'string']);
    for (const b of BACKING_SERVICES) expect(() => new URL(String(config[b.urlKey]))).not.toThrow();
  });

  it('names every bad variable and what was expected', () => {
    let error: unknown;
    try {
      loadConfig({ GATEWAY_PORT: 'eighty', REDIS_URL: 'http://nope', CHATS_SHARDS: '0' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/GATEWAY_PORT: .*"eighty"/);
    expect(problems).toMatch(/REDIS_URL: must be a URL starting with redis:\/\//);
    expect(problems).toMatch(/CHATS_SHARDS/);
  });

  it('refuses the development secrets in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET: must be set in production/);
  });

  it('has a port variable per service of the manifest, and a URL per subgraph that follows its port', () => {
    const config = loadConfig({ CHATS_PORT: '5002' });
    for (const s of SERVICES) {
      if (s.name !== 'chats') expect(config[s.port.key]).toBe(s.port.default);
    }
    expect(config.CHATS_URL).toBe('http://127.0.0.1:5002/graphql');
    expect(loadConfig({ CHATS_URL: 'http://chats:4002/graphql' }).CHATS_URL).toBe('http://chats:4002/graphql');
  });

  it('logs readable lines only in development at a terminal, JSON otherwise, unless LOG_FORMAT says', () => {
    expect(loadConfig({}, { stdoutIsTTY: true }).LOG_FORMAT).toBe('pretty');
    expect(loadConfig({}, { stdoutIsTTY: false }).LOG_FORMAT).toBe('json');
    expect(loadConfig({ NODE_ENV: 'test' }, { stdoutIsTTY: true }).LOG_FORMAT).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'pretty' }, { stdoutIsTTY: false }).LOG_FORMAT).toBe('pretty');
    expect(loadConfig({ LOG_FORMAT: 'json' }, { stdoutIsTTY: true }).LOG_FORMAT).toBe('json');
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ GATEWAY_PORT: '' }).GATEWAY_PORT).toBe(4000);
  });
});
