import { adminPortFor, loadConfig } from '../src';

const PROD = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40), GATEWAY_IDENTITY_SECRET: 'y'.repeat(40) };

describe('exposure settings', () => {
  it('puts the admin port at the service port + 5000 on loopback, unless ADMIN_PORT / ADMIN_HOST say otherwise', () => {
    const config = loadConfig({});
    expect(config.ADMIN_HOST).toBe('127.0.0.1');
    expect(adminPortFor(config, config.GATEWAY_PORT)).toBe(9000);
    expect(adminPortFor(config, config.PRESENCE_PORT)).toBe(9003);
    expect(adminPortFor(loadConfig({ GATEWAY_PORT: '4010' }), 4010)).toBe(9010);
    expect(adminPortFor(loadConfig({ ADMIN_PORT: '9999' }), 4000)).toBe(9999);
    expect(adminPortFor(config, 0)).toBe(0);
    expect(() => loadConfig({ ADMIN_PORT: '70000' })).toThrow(/ADMIN_PORT/);
  });

  it("allows the local web client's origins in development and no cross-origin browser in production", () => {
    expect(loadConfig({}).CORS_ORIGINS).toEqual(['http://127.0.0.1:3000', 'http://localhost:3000']);
    expect(loadConfig(PROD).CORS_ORIGINS).toEqual([]);
  });

  it('reads CORS_ORIGINS as a comma-separated list of origins and refuses what is not one', () => {
    expect(
      loadConfig({ CORS_ORIGINS: ' https://app.example.com, https://admin.example.com:8443 ' }).CORS_ORIGINS,
    ).toEqual(['https://app.example.com', 'https://admin.example.com:8443']);
    expect(() => loadConfig({ CORS_ORIGINS: 'https://app.example.com/path' })).toThrow(/CORS_ORIGINS: .*not an origin/);
    expect(() => loadConfig({ CORS_ORIGINS: 'app.example.com' })).toThrow(/CORS_ORIGINS/);
  });

  it('accepts `*` alone and never with credentials', () => {
    expect(loadConfig({ CORS_ORIGINS: '*' }).CORS_ORIGINS).toEqual(['*']);
    expect(() => loadConfig({ CORS_ORIGINS: '*', CORS_CREDENTIALS: 'true' })).toThrow(
      /`\*` is refused with CORS_CREDENTIALS/,
    );
    expect(() => loadConfig({ CORS_ORIGINS: '*,https://app.example.com' })).toThrow(/`\*` alone/);
  });

  it('takes TRUSTED_DOCUMENTS off, allow or require (off by default)', () => {
    expect(loadConfig({}).TRUSTED_DOCUMENTS).toBe('off');
    expect(loadConfig({ TRUSTED_DOCUMENTS: 'require' }).TRUSTED_DOCUMENTS).toBe('require');
    expect(() => loadConfig({ TRUSTED_DOCUMENTS: 'strict' })).toThrow(/TRUSTED_DOCUMENTS/);
  });
});
