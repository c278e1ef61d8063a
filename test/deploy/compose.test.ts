// The container stack's configuration: docker-compose.yml (validated and inspected with Debian's docker-compose),
// deploy/haproxy.cfg (generated, accepted by HAProxy), and scripts/checkServices.js (the start-up check).
// A test that needs a missing binary is skipped with a warning, never passed silently.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BACKING_SERVICES, SERVICES, SUBGRAPHS } from '@chatgraph/manifest';
import { freePort } from '@chatgraph/testing';
import { haproxyConfig, BALANCING, COMPOSE_ADDRESSES, COMMITTED_PATH } from '../../deploy/haproxyConfig';

const ROOT = path.resolve(__dirname, '../..');
/** The compose services running a service of the manifest: each once, the gateway twice (behind HAProxy). */
const composeNames = (name: string) => (name === 'gateway' ? ['gateway-1', 'gateway-2'] : [name]);

function installed(binary: string): boolean {
  const r = spawnSync(binary, ['--version'], { stdio: 'ignore' });
  return !r.error;
}

/** `it` when the binary is installed, else `it.skip` with a visible warning. */
function itWith(binary: string, installHint: string): jest.It {
  if (installed(binary)) return it;
  console.warn(`${binary} is not installed: its tests are SKIPPED (${installHint})`);
  return it.skip;
}

/** The secrets docker-compose.yml requires, as an operator sets them (placeholders: the file is only resolved). */
const SECRETS = {
  JWT_SECRET: 'compose-test-jwt-secret-of-32-or-more-characters',
  GATEWAY_IDENTITY_SECRET: 'compose-test-identity-secret-of-32-or-more-chars',
};
const withSecrets: NodeJS.ProcessEnv = { ...process.env, ...SECRETS };

function run(command: string, args: string[], env: NodeJS.ProcessEnv = withSecrets) {
  const r = spawnSync(command, args, { cwd: ROOT, env, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string | number>;
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  ports?: (string | { target: number; published: string | number })[];
  volumes?: (string | { source: string; target: string })[];
  restart?: string;
}

describe('docker-compose.yml', () => {
  const itCompose = itWith('docker-compose', 'apt-get install -y docker-compose');

  itCompose('is a valid compose file (docker-compose config -q)', () => {
    const r = run('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  itCompose('describes the whole stack, started in dependency order with health checks', () => {
    // docker-compose's resolved view (anchors merged, defaults filled in), read as JSON with the YAML module that
    // docker-compose itself is built on.
    const r = spawnSync(
      'sh',
      [
        '-c',
        `docker-compose -f docker-compose.yml config | python3 -c 'import json,sys,yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'`,
      ],
      { cwd: ROOT, env: withSecrets, encoding: 'utf8' },
    );
    expect(r.status).toBe(0);
    const services = (JSON.parse(r.stdout) as { services: Record<string, ComposeService> }).services;
    expect(Object.keys(services).sort()).toEqual(
      [
        ...SERVICES.flatMap((s) => composeNames(s.name)),
        ...BACKING_SERVICES.map((b) => b.name),
        'haproxy',
        'mailpit',
        'migrate',
        'web',
        'prometheus',
        'grafana',
      ].sort(),
    );
    expect(services.postgres.image).toMatch(/^postgres:15/);
    expect(services.redis.image).toMatch(/^redis:7/);

    // Every long-running service has a health check; the one-shot migration does not restart.
    for (const [name, s] of Object.entries(services)) {
      if (name === 'migrate') continue;
      expect({ name, healthChecked: (s.healthcheck?.test?.length ?? 0) > 1 }).toEqual({ name, healthChecked: true });
    }
    expect(services.migrate.restart).toBe('no');
    expect(services.migrate.command).toEqual(['node', 'prisma/dist/src/cli/migrate.js']);
    expect(services.postgres.healthcheck?.test).toContain('pg_isready');
    expect(services.redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(services.rabbitmq.image).toBe('rabbitmq:3-management');
    expect(services.rabbitmq.healthcheck?.test).toEqual(['CMD', 'rabbitmq-diagnostics', '-q', 'ping']);
    // Emails go to the mail catcher, whose web UI is on the host's loopback.
    expect(services.mailpit.image).toMatch(/^axllent\/mailpit:/);
    expect(services.notifier.environment?.SMTP_URL).toBe('smtp://mailpit:1025');

    // Each service of the manifest: its entry point, listening on all interfaces on its default port, health-checked
    // there.
    for (const service of SERVICES) {
      const { entry, port } = service;
      for (const name of composeNames(service.name)) {
        const s = services[name];
        expect({ name, command: s.command }).toEqual({ name, command: ['node', entry] });
        const env = s.environment ?? {};
        expect({ name, host: env.HOST, port: Number(env[port.key]) }).toEqual({
          name,
          host: '0.0.0.0',
          port: port.default,
        });
        expect({ name, health: s.healthcheck?.test?.join(' ') }).toEqual({
          name,
          health: expect.stringContaining(`fetch('http://127.0.0.1:${port.default}${service.health}')`),
        });
      }
    }
    for (const name of SERVICES.flatMap((s) => composeNames(s.name))) {
      const env = services[name].environment ?? {};
      // Services find each other by compose name, on the ports those services listen on.
      for (const subgraph of SUBGRAPHS) {
        expect({ name, url: env[subgraph.graphql.urlKey] }).toEqual({
          name,
          url: `http://${subgraph.name}:${subgraph.port.default}/graphql`,
        });
      }
      expect(env.REDIS_URL).toBe('redis://redis:6379');
      expect(String(env.DATABASE_URL)).toMatch(/^postgresql:\/\/postgres(:[^@]*)?@postgres:5432$/);
    }

    const deps = (name: string) =>
      Object.fromEntries(Object.entries(services[name].depends_on ?? {}).map(([k, v]) => [k, v.condition]));
    expect(deps('migrate')).toEqual({ postgres: 'service_healthy' });
    for (const name of ['users', 'chats']) {
      expect(deps(name)).toEqual({
        postgres: 'service_healthy',
        redis: 'service_healthy',
        migrate: 'service_completed_successfully',
      });
    }
    expect(deps('presence')).toEqual({ redis: 'service_healthy', chats: 'service_healthy' });
    expect(deps('notifications')).toEqual({
      postgres: 'service_healthy',
      migrate: 'service_completed_successfully',
    });
    expect(deps('notifier')).toEqual({
      postgres: 'service_healthy',
      redis: 'service_healthy',
      rabbitmq: 'service_healthy',
      migrate: 'service_completed_successfully',
      users: 'service_healthy',
    });
    for (const name of SERVICES.flatMap((s) => composeNames(s.name)))
      expect(String(services[name].environment?.AMQP_URL)).toMatch(/^amqp:\/\/chatgraph:[^@]*@rabbitmq:5672$/);

    // Only HAProxy (the API) and the web client face clients; the databases, Prometheus and Grafana are published on
    // the host's loopback; no admin port is published: admin servers listen on the compose network only, for
    // Prometheus.
    const publishing = Object.entries(services)
      .filter(([, s]) => (s.ports ?? []).length > 0)
      .map(([name]) => name)
      .sort();
    expect(publishing).toEqual(['grafana', 'haproxy', 'mailpit', 'postgres', 'prometheus', 'rabbitmq', 'redis', 'web']);
    for (const name of ['grafana', 'mailpit', 'prometheus', 'postgres', 'rabbitmq', 'redis']) {
      for (const p of services[name].ports ?? [])
        expect({ name, port: typeof p === 'string' ? p : `${p.published}` }).toEqual({
          name,
          port: expect.stringMatching(/^127\.0\.0\.1:/),
        });
    }
    // The web client: its server on port 3000, the page told to call the API through HAProxy, no secrets.
    expect(services.web.command).toEqual(['node', 'web/server.mjs']);
    expect((services.web.ports ?? []).map((p) => (typeof p === 'string' ? p : `${p.published}:${p.target}`))).toEqual([
      '3000:3000',
    ]);
    expect(services.web.environment).toEqual({
      HOST: '0.0.0.0',
      WEB_PORT: 3000,
      CHATGRAPH_URL: 'http://localhost:4000/graphql',
    });
    for (const name of SERVICES.flatMap((s) => composeNames(s.name)))
      expect({ name, adminHost: services[name].environment?.ADMIN_HOST }).toEqual({ name, adminHost: '0.0.0.0' });

    // Prometheus scrapes every process of the manifest on its admin port, and loads the alert rules.
    const scrape = fs.readFileSync(path.join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8');
    for (const service of SERVICES)
      for (const name of composeNames(service.name))
        expect(scrape).toContain(
          `'${name}:${service.kind === 'worker' ? service.port.default : service.port.default + 5000}'`,
        );
    const promMounts = (services.prometheus.volumes ?? []).map((v) =>
      typeof v === 'string' ? v : `${v.source}:${v.target}`,
    );
    expect(promMounts.some((m) => m.endsWith('deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro'))).toBe(true);
    expect(deps('grafana')).toEqual({ prometheus: 'service_healthy' });
    for (const name of composeNames('gateway')) {
      expect(deps(name)).toEqual({
        redis: 'service_healthy',
        ...Object.fromEntries(SUBGRAPHS.map((s) => [s.name, 'service_healthy'])),
      });
    }
    expect(deps('haproxy')).toEqual({ 'gateway-1': 'service_healthy', 'gateway-2': 'service_healthy' });

    // HAProxy: host port 4000, the committed configuration mounted where the image reads it.
    const published = (services.haproxy.ports ?? []).map((p) =>
      typeof p === 'string' ? p : `${p.published}:${p.target}`,
    );
    expect(published).toContain('4000:4000');
    const mounts = (services.haproxy.volumes ?? []).map((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}`));
    expect(mounts.some((m) => m.startsWith(`${COMMITTED_PATH}:/usr/local/etc/haproxy/haproxy.cfg`))).toBe(true);
  });

  itCompose('requires the secrets: it does not resolve without them, and passes them to every service', () => {
    const secret = 'a-production-secret-of-more-than-32-characters';
    const r = run('docker-compose', ['-f', 'docker-compose.yml', 'config'], {
      ...withSecrets,
      JWT_SECRET: secret,
      NODE_ENV: 'production',
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`JWT_SECRET: ${secret}`);
    expect(r.stdout).toContain('NODE_ENV: production');
    for (const missing of ['JWT_SECRET', 'GATEWAY_IDENTITY_SECRET']) {
      const unset = run('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], {
        ...withSecrets,
        [missing]: '',
      });
      expect(unset.status).not.toBe(0);
      expect(unset.stderr).toContain(`set ${missing}`);
    }
  });

  itCompose('lets the gateways believe X-Forwarded-For only from the compose network (HAProxy)', () => {
    const r = spawnSync(
      'sh',
      [
        '-c',
        `docker-compose -f docker-compose.yml config | python3 -c 'import json,sys,yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'`,
      ],
      { cwd: ROOT, env: withSecrets, encoding: 'utf8' },
    );
    const services = (JSON.parse(r.stdout) as { services: Record<string, ComposeService> }).services;
    for (const name of composeNames('gateway')) {
      expect(services[name].environment?.TRUSTED_PROXIES).toBe('10.0.0.0/8,172.16.0.0/12,192.168.0.0/16');
      expect(services[name].ports ?? []).toEqual([]);
    }
  });

  it('documents every variable it requires in .env.example', () => {
    const example = fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    const compose = fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
    const required = [...compose.matchAll(/\$\{([A-Z_]+):\?/g)].map((m) => m[1]!);
    expect(new Set(required)).toEqual(new Set(['JWT_SECRET', 'GATEWAY_IDENTITY_SECRET']));
    for (const name of required) expect(example).toMatch(new RegExp(`^${name}=$`, 'm'));
  });
});

describe('deploy/prometheus', () => {
  const itPromtool = itWith('promtool', 'apt-get install -y prometheus');

  itPromtool('has alert rules promtool accepts, and they pass their unit tests', () => {
    const checked = run('promtool', ['check', 'rules', 'deploy/prometheus/alerts.yml']);
    expect({ status: checked.status, out: checked.stdout + checked.stderr }).toMatchObject({ status: 0 });
    expect(checked.stdout).toMatch(/SUCCESS: \d+ rules found/);
    const tested = run('promtool', ['test', 'rules', 'deploy/prometheus/alerts.test.yml']);
    expect({ status: tested.status, out: tested.stdout + tested.stderr }).toMatchObject({ status: 0 });
  });

  itPromtool('fails the unit tests when a rule stops firing (the tests can fail)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-rules-'));
    try {
      const rules = fs.readFileSync(path.join(ROOT, 'deploy/prometheus/alerts.yml'), 'utf8');
      // The dead-letter alert with a threshold no test series reaches.
      fs.writeFileSync(path.join(dir, 'alerts.yml'), rules.replace(/(\.dlq"\}\)) > 0/, '$1 > 1000'));
      fs.copyFileSync(path.join(ROOT, 'deploy/prometheus/alerts.test.yml'), path.join(dir, 'alerts.test.yml'));
      const tested = run('promtool', ['test', 'rules', path.join(dir, 'alerts.test.yml')]);
      expect(tested.status).not.toBe(0);
      expect(tested.stdout + tested.stderr).toContain('ChatgraphDeadLetters');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('deploy/haproxy.cfg', () => {
  const itHaproxy = itWith('haproxy', 'apt-get install -y haproxy');

  it('is exactly what deploy/haproxyConfig.js generates for the compose addresses', () => {
    expect(fs.readFileSync(COMMITTED_PATH, 'utf8')).toBe(
      haproxyConfig({
        port: 4000,
        gateways: [
          { host: 'gateway-1', port: 4000 },
          { host: 'gateway-2', port: 4000 },
        ],
        emailLinks: { host: 'notifications', port: 4004 },
      }),
    );
    expect(COMPOSE_ADDRESSES.gateways.map((g) => `${g.host}:${g.port}`)).toEqual(['gateway-1:4000', 'gateway-2:4000']);
  });

  it('balances with leastconn, health-checks /health, and keeps WebSocket tunnels open', () => {
    const text = haproxyConfig({ port: 4000, gateways: [{ host: '10.0.0.1', port: 4100 }] });
    expect(text).toMatch(/^\s*balance leastconn$/m);
    expect(text).toMatch(/^\s*option httpchk GET \/health$/m);
    expect(text).toMatch(/^\s*timeout tunnel 1h$/m);
    expect(text).toMatch(/^\s*bind :4000$/m);
    expect(text).toMatch(/^\s*server gateway-1 10\.0\.0\.1:4100$/m);
  });

  it('balances with another strategy when asked (round robin, client-address hash), leastconn by default', () => {
    const gateways = [{ host: '10.0.0.1', port: 4100 }];
    const balanceLines = (balancing?: keyof typeof BALANCING) =>
      haproxyConfig({ port: 4000, gateways, balancing })
        .split('\n')
        .filter((l) => /^\s*(balance|hash-type) /.test(l))
        .map((l) => l.trim());
    expect(balanceLines()).toEqual(['balance leastconn']);
    expect(balanceLines('round-robin')).toEqual(['balance roundrobin']);
    expect(balanceLines('ip-hash')).toEqual(['balance source', 'hash-type consistent']);
    expect(() => haproxyConfig({ port: 4000, gateways, balancing: 'random' as 'ip-hash' })).toThrow(
      /unknown balancing random \(one of least-connections, round-robin, ip-hash\)/,
    );
  });

  itHaproxy('accepts every balancing strategy (haproxy -c)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-haproxy-'));
    try {
      for (const balancing of Object.keys(BALANCING) as Array<keyof typeof BALANCING>) {
        const file = path.join(dir, `${balancing}.cfg`);
        const gateways = [{ host: '127.0.0.1', port: await freePort() }];
        fs.writeFileSync(file, haproxyConfig({ port: await freePort(), gateways, balancing }));
        const r = run('haproxy', ['-c', '-f', file]);
        expect(`${r.stdout}${r.stderr}`).not.toMatch(/\[(ALERT|WARNING)\]/);
        expect(r.status).toBe(0);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses addresses that would corrupt the configuration', () => {
    expect(() => haproxyConfig({ port: 4000, gateways: [] })).toThrow(/at least one gateway/);
    expect(() => haproxyConfig({ port: 0, gateways: [{ host: 'a', port: 1 }] })).toThrow(/bad port/);
    expect(() => haproxyConfig({ port: 4000, gateways: [{ host: 'a b\n', port: 1 }] })).toThrow(/bad gateway/);
  });

  itHaproxy('is accepted by haproxy -c (generated for 127.0.0.1: compose names do not resolve here)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-haproxy-'));
    try {
      const file = path.join(dir, 'haproxy.cfg');
      fs.writeFileSync(
        file,
        haproxyConfig({
          port: await freePort(),
          gateways: [
            { host: '127.0.0.1', port: await freePort() },
            { host: '127.0.0.1', port: await freePort() },
          ],
        }),
      );
      const r = run('haproxy', ['-c', '-f', file]);
      expect(`${r.stdout}${r.stderr}`).not.toMatch(/\[(ALERT|WARNING)\]/);
      expect(r.status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  itHaproxy('fails haproxy -c when the configuration is broken (so the check above can fail)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-haproxy-'));
    try {
      const file = path.join(dir, 'haproxy.cfg');
      const broken = haproxyConfig({ port: 4000, gateways: [{ host: '127.0.0.1', port: 4001 }] }).replace(
        'balance leastconn',
        'balance fewestconn',
      );
      fs.writeFileSync(file, broken);
      expect(run('haproxy', ['-c', '-f', file]).status).not.toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('scripts/checkServices.js', () => {
  it('passes when PostgreSQL and Redis answer', () => {
    const r = run(process.execPath, ['scripts/checkServices.js']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('PostgreSQL answers at');
    expect(r.stdout).toContain('Redis answers at');
    expect(r.stdout).toContain('RabbitMQ answers at amqp://guest:***@');
  });

  it('exits non-zero naming RabbitMQ and how to start it when nothing listens there', async () => {
    const port = await freePort();
    const r = run(process.execPath, ['scripts/checkServices.js'], {
      ...process.env,
      AMQP_URL: `amqp://guest:guest@127.0.0.1:${port}`,
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`RabbitMQ does not answer at amqp://guest:***@127.0.0.1:${port}`);
    expect(r.stderr).toContain('docker compose up -d rabbitmq');
    expect(r.stderr).toContain('or point AMQP_URL at a running one');
  });

  it('exits non-zero naming Redis, its URL and how to start it when nothing listens there', async () => {
    const port = await freePort();
    const r = run(process.execPath, ['scripts/checkServices.js'], {
      ...process.env,
      REDIS_URL: `redis://127.0.0.1:${port}`,
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`Redis does not answer at redis://127.0.0.1:${port} (connect ECONNREFUSED`);
    expect(r.stderr).toContain('redis-server --daemonize yes --port 6379 --save "" --appendonly no');
    expect(r.stderr).toContain('docker compose up -d redis');
    expect(r.stderr).not.toContain('PostgreSQL does not answer');
  });

  it('exits non-zero naming PostgreSQL, without printing its password, when nothing listens there', async () => {
    const port = await freePort();
    const r = run(process.execPath, ['scripts/checkServices.js'], {
      ...process.env,
      DATABASE_URL: `postgresql://postgres:s3cret@127.0.0.1:${port}`,
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`PostgreSQL does not answer at postgresql://postgres:***@127.0.0.1:${port}`);
    expect(r.stderr).toMatch(/pg_ctlcluster --skip-systemctl-redirect \d+ main start/);
    expect(r.stderr).toContain('docker compose up -d postgres');
    expect(r.stderr).not.toContain('s3cret');
  });
});
