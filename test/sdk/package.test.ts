/**
 * The SDK as a package: `npm pack` of client-sdk (built by its `prepack` script) installs into a fresh project outside
 * the repository, where a small TypeScript program type-checks against the published declarations and then holds a
 * conversation through a running gateway (the client, a live stream and a ChatStore; the React entry point's types
 * resolve). Also: the package's source maps resolve to files it ships, and a CommonJS
 * `require` loads it (Node 20.19+ loads ES modules with `require`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabases, ProcessStack, RedisServer, testConfig, type TestDatabases } from '@chatgraph/testing';

const repoRoot = path.resolve(__dirname, '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
/** The versions the repository uses (in the npm cache already, so installing them needs no download). */
const versionOf = (name: string): string =>
  (
    JSON.parse(fs.readFileSync(path.join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;

const PROGRAM = (
  url: string,
  suffix: string,
) => `import { ChatGraphError, ChatStore, createChatClient, type ChatEvent } from '@chatgraph/sdk';
import type { UseChatResult } from '@chatgraph/sdk/react';
import WebSocket from 'ws';

const url = ${JSON.stringify(url)};
const password = 'correct horse battery';
const alice = createChatClient({ url, webSocketImpl: WebSocket, session: {} });
const bob = createChatClient({ url, webSocketImpl: WebSocket, session: {} });
const a = await alice.signUp({ username: 'pa_${suffix}', password, displayName: 'Alice' });
const b = await bob.signUp({ username: 'pb_${suffix}', password, displayName: 'Bob' });
const chat = await alice.createDirectChat({ userId: b.user.id });
const events = bob.chat(chat.id).events({ afterSeq: chat.lastSeq });
const sent = await alice.chat(chat.id).send('Hello from the packed SDK');
let received: ChatEvent | undefined;
for await (const event of events) {
  received = event;
  break;
}
// The framework-free chat state, and the React entry point's types.
const store = new ChatStore(bob, chat.id);
store.start();
while (store.getSnapshot().loading) await new Promise((r) => setTimeout(r, 20));
const state: Pick<UseChatResult, 'messages'> = store.getSnapshot();
store.close();
let code = '';
try {
  await alice.editMessage({ messageId: sent.id, text: '' });
} catch (err) {
  if (err instanceof ChatGraphError) code = err.code;
}
console.log(JSON.stringify({ me: a.user.displayName, seq: sent.seq, received: received?.message?.text, receivedSeq: received?.seq, author: received?.message?.author.displayName, store: state.messages.map((m) => m.text), code }));
await Promise.all([alice.close(), bob.close()]);
`;

describe('the SDK as a package installed from its tarball', () => {
  let redis: RedisServer;
  let dbs: TestDatabases;
  let stack: ProcessStack;
  let project: string;
  let tarball: string;

  beforeAll(async () => {
    project = fs.mkdtempSync(path.join(os.tmpdir(), 'chatgraph-sdk-consumer-'));
    const packed = path.join(project, 'packed');
    fs.mkdirSync(packed);
    // `npm pack` runs the package's prepack script (the build) first.
    const name = execFileSync(npm, ['pack', '--silent', '-w', 'client-sdk', '--pack-destination', packed], {
      cwd: repoRoot,
      encoding: 'utf8',
    }).trim();
    tarball = path.join(packed, name.split('\n').pop()!);
    const app = path.join(project, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(
      path.join(app, 'package.json'),
      JSON.stringify({ name: 'sdk-consumer', private: true, type: 'module' }, null, 2),
    );
    fs.writeFileSync(
      path.join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2023', 'DOM'],
          types: [],
          strict: true,
          outDir: 'out',
          skipLibCheck: false,
        },
        include: ['main.ts'],
      }),
    );
    const install = spawnSync(
      npm,
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        tarball,
        `graphql@${versionOf('graphql')}`,
        `ws@${versionOf('ws')}`,
        `@types/ws@${versionOf('@types/ws')}`,
        `@types/node@${versionOf('@types/node')}`,
        `typescript@${versionOf('typescript')}`,
        `react@${versionOf('react')}`,
        `@types/react@${versionOf('@types/react')}`,
      ],
      { cwd: app, encoding: 'utf8' },
    );
    if (install.status !== 0) throw new Error(`npm install failed:\n${install.stdout}${install.stderr}`);

    redis = await RedisServer.start();
    const config = testConfig({ REDIS_URL: redis.url, USERS_SHARDS: '1', CHATS_SHARDS: '1' });
    dbs = await createTestDatabases(config);
    stack = new ProcessStack(ProcessStack.envFor(config));
    await stack.startSubgraphs();
    await stack.start('gateway', 'gateway');
  }, 240_000);

  afterAll(async () => {
    await stack?.close();
    await dbs?.drop();
    await redis?.close();
    if (project) fs.rmSync(project, { recursive: true, force: true });
  });

  const app = () => path.join(project, 'app');
  const installed = () => path.join(app(), 'node_modules', '@chatgraph', 'sdk');

  it('ships the build, its declarations and source maps, the sources they point to, LICENSE and README', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
    for (const file of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/index.js.map',
      'src/index.ts',
      'LICENSE',
      'README.md',
    ])
      expect(files).toContain(`package/${file}`);
    expect(files.filter((f) => f.includes('tsbuildinfo') || f.includes('/test/'))).toEqual([]);
    // Every source of every map exists in the installed package.
    const dist = path.join(installed(), 'dist');
    const maps = fs.readdirSync(dist).filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(20);
    for (const map of maps) {
      const { sources, sourceRoot } = JSON.parse(fs.readFileSync(path.join(dist, map), 'utf8')) as {
        sources: string[];
        sourceRoot?: string;
      };
      for (const source of sources) expect(fs.existsSync(path.resolve(dist, sourceRoot ?? '', source))).toBe(true);
    }
  });

  it('type-checks a program against the published types and holds a conversation through the gateway', () => {
    fs.writeFileSync(
      path.join(app(), 'main.ts'),
      PROGRAM(stack.url('gateway'), `${process.pid}_${Date.now().toString(36)}`),
    );
    const tsc = spawnSync(
      process.execPath,
      [path.join(app(), 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app()],
      {
        encoding: 'utf8',
      },
    );
    expect(`${tsc.stdout}${tsc.stderr}`).toBe('');
    expect(tsc.status).toBe(0);
    const run = spawnSync(process.execPath, [path.join(app(), 'out', 'main.js')], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout.trim()) as Record<string, unknown>;
    expect(result).toEqual({
      me: 'Alice',
      seq: expect.any(Number),
      received: 'Hello from the packed SDK',
      receivedSeq: result.seq,
      author: 'Alice',
      store: ['Hello from the packed SDK'],
      code: 'BAD_USER_INPUT',
    });
  });

  it('a type error in the consuming program is caught by the published types', () => {
    fs.writeFileSync(
      path.join(app(), 'main.ts'),
      `import { createChatClient } from '@chatgraph/sdk';\nconst client = createChatClient({ url: 'http://127.0.0.1:1/graphql' });\nawait client.sendMessage({ chatId: 1, text: 'x' });\n`,
    );
    const tsc = spawnSync(
      process.execPath,
      [path.join(app(), 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app()],
      {
        encoding: 'utf8',
      },
    );
    expect(tsc.status).not.toBe(0);
    // Line 3, the `chatId` given as a number.
    expect(tsc.stdout).toMatch(/main\.ts\(3,\d+\): error TS2322: Type 'number' is not assignable to type 'string'/);
  });

  it('loads with require() from CommonJS too', () => {
    const loaded = spawnSync(
      process.execPath,
      [
        '-e',
        "const sdk = require('@chatgraph/sdk'); console.log(typeof sdk.createChatClient, typeof sdk.ChatGraphError)",
      ],
      { cwd: app(), encoding: 'utf8' },
    );
    expect(loaded.stdout.trim()).toBe('function function');
  });
});
