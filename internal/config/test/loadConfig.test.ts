import { createECDH } from 'node:crypto';
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

  it('runs on a single Redis unless REDIS_CLUSTER_NODES names cluster nodes (host:port, comma-separated)', () => {
    expect(loadConfig({}).REDIS_CLUSTER_NODES).toBeUndefined();
    expect(loadConfig({ REDIS_CLUSTER_NODES: '' }).REDIS_CLUSTER_NODES).toBeUndefined();
    const nodes = 'redis-a:7000, redis-b:7001,10.0.0.3:7002';
    expect(loadConfig({ REDIS_CLUSTER_NODES: nodes }).REDIS_CLUSTER_NODES).toBe(nodes);
    for (const bad of ['redis-a', 'redis-a:', 'redis://redis-a:7000', 'redis-a:7000,,redis-b:7001'])
      expect(() => loadConfig({ REDIS_CLUSTER_NODES: bad })).toThrow(/REDIS_CLUSTER_NODES: must be host:port/);
  });

  it('refuses the development secrets in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET: must be set in production/);
  });

  it('refuses the development secrets whenever a service listens beyond loopback, naming both variables', () => {
    for (const HOST of ['0.0.0.0', '::', '192.168.1.10', 'chats.internal']) {
      let error: unknown;
      try {
        loadConfig({ NODE_ENV: 'development', HOST });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([
        `JWT_SECRET: must be set when HOST (${HOST}) is not a loopback address`,
        `GATEWAY_IDENTITY_SECRET: must be set when HOST (${HOST}) is not a loopback address`,
      ]);
    }
    for (const HOST of ['127.0.0.1', '::1', 'localhost', '127.0.0.2']) {
      expect(loadConfig({ HOST }).HOST).toBe(HOST);
    }
    const secrets = { JWT_SECRET: 'j'.repeat(40), GATEWAY_IDENTITY_SECRET: 'g'.repeat(40) };
    expect(loadConfig({ HOST: '0.0.0.0', ...secrets }).HOST).toBe('0.0.0.0');
  });

  it('reads rate limits as <count>/<duration> and login delays as <free>/<first>..<longest>', () => {
    const config = loadConfig({ RATE_LIMIT_MESSAGE_USER: '30/10s', RATE_LIMIT_LOGIN_USER: '3/2s..1h' });
    expect(config.RATE_LIMIT_MESSAGE_USER).toEqual({ points: 30, durationSeconds: 10 });
    expect(config.RATE_LIMIT_LOGIN_USER).toEqual({ free: 3, firstSeconds: 2, maxSeconds: 3600 });
    expect(loadConfig({}).RATE_LIMIT_SIGNUP_ADDRESS).toEqual({ points: 30, durationSeconds: 3600 });
    expect(loadConfig({}).RATE_LIMIT_LOGIN_USER).toEqual({ free: 5, firstSeconds: 1, maxSeconds: 300 });
    expect(() => loadConfig({ RATE_LIMIT_TYPING: '10 per second' })).toThrow(/RATE_LIMIT_TYPING: must be <count>/);
    expect(() => loadConfig({ RATE_LIMIT_TYPING: '0/1s' })).toThrow(/RATE_LIMIT_TYPING/);
    expect(() => loadConfig({ RATE_LIMIT_LOGIN_USER: '5/1m..1s' })).toThrow(/RATE_LIMIT_LOGIN_USER/);
  });

  it('reads TRUSTED_PROXIES as addresses, CIDRs and range names; loopback by default', () => {
    expect(loadConfig({}).TRUSTED_PROXIES).toEqual(['loopback']);
    expect(loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8, fd00::/8,192.0.2.7' }).TRUSTED_PROXIES).toEqual([
      '10.0.0.0/8',
      'fd00::/8',
      '192.0.2.7',
    ]);
    expect(loadConfig({ TRUSTED_PROXIES: 'none' }).TRUSTED_PROXIES).toEqual([]);
    expect(() => loadConfig({ TRUSTED_PROXIES: '10.0.0.0/33' })).toThrow(/TRUSTED_PROXIES: .*bad: 10.0.0.0\/33/);
    expect(() => loadConfig({ TRUSTED_PROXIES: 'haproxy' })).toThrow(/TRUSTED_PROXIES/);
  });

  it('has a port variable per service of the manifest, and a URL per subgraph that follows its port', () => {
    const config = loadConfig({ CHATS_PORT: '5002' });
    for (const s of SERVICES) {
      if (s.name !== 'chats') expect(config[s.port.key]).toBe(s.port.default);
    }
    expect(config.CHATS_URL).toBe('http://127.0.0.1:5002/graphql');
    expect(loadConfig({ CHATS_URL: 'http://chats:4002/graphql' }).CHATS_URL).toBe('http://chats:4002/graphql');
  });

  it('traces nothing by default, and names a bad collector URL or sampling ratio', () => {
    const defaults = loadConfig({});
    expect(defaults.OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    expect(defaults.OTEL_TRACES_SAMPLER_RATIO).toBe(1);
    // compose passes unset variables as empty strings: that is unset, not an error.
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }).OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_SAMPLER_RATIO: '0.01' }),
    ).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_TRACES_SAMPLER_RATIO: 0.01,
    });
    expect(() =>
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318', OTEL_TRACES_SAMPLER_RATIO: '1.5' }),
    ).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT[^]*OTEL_TRACES_SAMPLER_RATIO|OTEL_TRACES_SAMPLER_RATIO[^]*OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
  });

  it('logs readable lines only in development at a terminal, JSON otherwise, unless LOG_FORMAT says', () => {
    expect(loadConfig({}, { stdoutIsTTY: true }).LOG_FORMAT).toBe('pretty');
    expect(loadConfig({}, { stdoutIsTTY: false }).LOG_FORMAT).toBe('json');
    expect(loadConfig({ NODE_ENV: 'test' }, { stdoutIsTTY: true }).LOG_FORMAT).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'pretty' }, { stdoutIsTTY: false }).LOG_FORMAT).toBe('pretty');
    expect(loadConfig({ LOG_FORMAT: 'json' }, { stdoutIsTTY: true }).LOG_FORMAT).toBe('json');
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
  });

  it('refuses VAPID keys of the wrong length at start, not at every push', () => {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const publicKey = ecdh.getPublicKey().toString('base64url');
    const privateKey = Buffer.concat([Buffer.alloc(32), ecdh.getPrivateKey()]).subarray(-32);
    expect(
      loadConfig({ VAPID_PUBLIC_KEY: publicKey, VAPID_PRIVATE_KEY: privateKey.toString('base64url') }),
    ).toBeTruthy();
    const short = () =>
      loadConfig({ VAPID_PUBLIC_KEY: publicKey, VAPID_PRIVATE_KEY: privateKey.subarray(1).toString('base64url') });
    expect(short).toThrow(ConfigError);
    expect(short).toThrow(/VAPID_PRIVATE_KEY: must be 32 bytes/);
    expect(() => loadConfig({ VAPID_PUBLIC_KEY: 'abc', VAPID_PRIVATE_KEY: privateKey.toString('base64url') })).toThrow(
      /VAPID_PUBLIC_KEY: must be 65 bytes/,
    );
  });
  it('runs every notifier role unless NOTIFIER_ROLES names some, and names an unknown role', () => {
    expect([...loadConfig({}).NOTIFIER_ROLES]).toEqual(['relay', 'inbox', 'push', 'webhooks', 'email']);
    expect([...loadConfig({ NOTIFIER_ROLES: 'webhooks' }).NOTIFIER_ROLES]).toEqual(['webhooks']);
    expect([...loadConfig({ NOTIFIER_ROLES: 'relay, inbox,relay' }).NOTIFIER_ROLES]).toEqual(['relay', 'inbox']);
    expect(() => loadConfig({ NOTIFIER_ROLES: 'relay,webhook' })).toThrow(
      /NOTIFIER_ROLES: "webhook" is not a role; expected a comma-separated list of relay, inbox, push, webhooks, email/,
    );
  });
  it('treats an empty variable as unset', () => {
    expect(loadConfig({ GATEWAY_PORT: '' }).GATEWAY_PORT).toBe(4000);
  });
});
