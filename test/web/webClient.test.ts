/**
 * The web client in a real browser (Debian's Chromium, driven by playwright-core) over the real stack: the subgraph
 * processes, two gateways behind HAProxy, the web client's own server (web/server.mjs) on a free port. Two people
 * sign up in two browser contexts and converse; what they notice is asserted: the chat list with unread badges and
 * last messages, presence and typing, read receipts, edits, a reload that keeps the session, and a gateway killed
 * under them: the page says it is reconnecting, then shows every message once and in order; then logging out and back
 * in (a wrong password refused with a message).
 *
 * WEB_SCREENSHOTS=docs/images (a folder) saves the chat list and a conversation there, as docs/web.md shows them.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import {
  createTestDatabases,
  freePort,
  gatewayRequest,
  HaproxyProcess,
  haproxyInstalled,
  ProcessStack,
  RedisServer,
  signUp,
  testConfig,
  waitUntil,
  type TestDatabases,
} from '@chatgraph/testing';

const CHROMIUM = '/usr/bin/chromium';
const chromiumInstalled = fs.existsSync(CHROMIUM);
if (!chromiumInstalled)
  console.warn('chromium is not installed: the web client tests are SKIPPED (apt-get install -y chromium)');
if (!haproxyInstalled)
  console.warn('haproxy is not installed: the web client tests are SKIPPED (apt-get install -y haproxy)');
const describeInBrowser = chromiumInstalled && haproxyInstalled ? describe : describe.skip;

const repoRoot = path.resolve(__dirname, '..', '..');
const screenshots = process.env.WEB_SCREENSHOTS ? path.resolve(repoRoot, process.env.WEB_SCREENSHOTS) : undefined;
const RECONNECTING = 'Connection lost. Reconnecting…';

/** Records every text the connection banner shows, from the first paint on, in `window.bannerHistory`. */
function recordBanner(): void {
  const history: string[] = [];
  (window as unknown as { bannerHistory: string[] }).bannerHistory = history;
  new MutationObserver(() => {
    const text = document.querySelector('[data-testid="connection"]')?.textContent;
    if (text && history[history.length - 1] !== text) history.push(text);
  }).observe(document, { subtree: true, childList: true, characterData: true });
}

const bannerHistory = (page: Page) =>
  page.evaluate(() => (window as unknown as { bannerHistory: string[] }).bannerHistory);

/** The messages a page shows in the open chat, as `[seq, text]`, pending sends excluded. */
const shownMessages = (page: Page) =>
  page.$$eval('.message-list > li.message[data-seq]', (items) =>
    items.map((li) => [Number(li.getAttribute('data-seq')), li.querySelector('.text')?.textContent ?? ''] as const),
  );

const messageBox = (page: Page) => page.getByRole('textbox', { name: 'Message', exact: true });

describeInBrowser('the web client in a browser, over two gateways behind HAProxy', () => {
  let redis: RedisServer;
  let dbs: TestDatabases;
  let stack: ProcessStack;
  let proxy: HaproxyProcess;
  let browser: Browser;
  let webUrl: string;
  const gatewayPorts: Record<string, number> = {};
  let counter = 0;

  beforeAll(async () => {
    // The page is built from the SDK's dist/ and the web client's sources: build both so the test runs current code.
    for (const args of [
      [require.resolve('typescript/bin/tsc'), '--build', 'client-sdk'],
      [path.join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn', 'web'],
    ]) {
      const built = spawnSync(process.execPath, args, { cwd: repoRoot, encoding: 'utf8' });
      if (built.status !== 0) throw new Error(`${args.join(' ')} failed:\n${built.stdout}${built.stderr}`);
    }
    const webPort = await freePort();
    webUrl = `http://127.0.0.1:${webPort}`;
    redis = await RedisServer.start();
    const config = testConfig({ REDIS_URL: redis.url, USERS_SHARDS: '2', CHATS_SHARDS: '2', CORS_ORIGINS: webUrl });
    dbs = await createTestDatabases(config);
    stack = new ProcessStack(ProcessStack.envFor(config, { CORS_ORIGINS: webUrl }));
    await stack.startSubgraphs();
    const [a, b] = await Promise.all([stack.start('gatewayA', 'gateway'), stack.start('gatewayB', 'gateway')]);
    gatewayPorts.gatewayA = a.port;
    gatewayPorts.gatewayB = b.port;
    proxy = await HaproxyProcess.start([a.port, b.port]);
    await stack.spawn({
      name: 'web',
      script: path.join(repoRoot, 'web', 'server.mjs'),
      env: { WEB_PORT: String(webPort), CHATGRAPH_URL: proxy.url },
      port: webPort,
      ready: `http-get://127.0.0.1:${webPort}/health`,
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-background-networking'],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await stack?.close();
    await dbs?.drop();
    await redis?.close();
  });

  /** A person in a browser context of their own, signed up through the page. */
  const person = async (displayName: string) => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    await page.addInitScript(recordBanner);
    await page.goto(webUrl);
    const username = `w${process.pid}_${Date.now().toString(36)}_${counter++}`;
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Display name').fill(displayName);
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create an account' }).click();
    await page.getByTestId('connection').getByText('Live').waitFor();
    return { page, username, problems };
  };

  /** Which gateway holds how many WebSockets (its admin /metrics). */
  const socketsOn = async (name: string): Promise<number> => {
    const metrics = await fetch(stack.adminUrl(name)).then(
      (r) => r.json() as Promise<{ connections: number }>,
      () => undefined,
    );
    return metrics?.connections ?? 0;
  };

  it('two people converse; a gateway dies under them: the banner says so, then every message shows once, in order', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');

    // Alice starts a direct chat by username and writes; Bob's list gets it live, with a badge and the last message.
    await alice.page.getByLabel('Start a chat with').fill(bob.username);
    await alice.page.getByRole('button', { name: 'Start chat' }).click();
    await alice.page.getByRole('heading', { name: 'Bob' }).waitFor();
    await messageBox(alice.page).fill('Hi Bob! Are you there?');
    await messageBox(alice.page).press('Enter');
    const bobsEntry = bob.page.locator('.chat-item', { hasText: 'Alice' });
    await bobsEntry.getByText('Alice: Hi Bob! Are you there?').waitFor();
    await bobsEntry.getByLabel('1 unread').waitFor();

    // A group chat made elsewhere (Carol, through the API) appears in both lists with its unread messages.
    const carol = await signUp(proxy.url, 'Carol');
    const aliceId = (
      await gatewayRequest(proxy.url, null, 'query($u: String!) { userByUsername(username: $u) { id } }', {
        u: alice.username,
      })
    ).data!.userByUsername.id;
    const bobId = (
      await gatewayRequest(proxy.url, null, 'query($u: String!) { userByUsername(username: $u) { id } }', {
        u: bob.username,
      })
    ).data!.userByUsername.id;
    const group = await gatewayRequest<{ createGroupChat: { id: string } }>(
      proxy.url,
      carol.token,
      'mutation($m: [ID!]!) { createGroupChat(title: "Design review", memberIds: $m) { id } }',
      { m: [aliceId, bobId] },
    );
    const groupId = group.data!.createGroupChat.id;
    for (const text of ['The new layout is up for review.', 'Comments by Friday, please.'])
      await gatewayRequest(
        proxy.url,
        carol.token,
        'mutation($c: ID!, $t: String!, $k: String!) { sendMessage(chatId: $c, text: $t, clientMessageId: $k) { id } }',
        { c: groupId, t: text, k: `carol-${text.length}` },
      );
    const groupEntry = bob.page.locator('.chat-item', { hasText: 'Design review' });
    await groupEntry.getByText('Carol: Comments by Friday, please.').waitFor();
    await groupEntry.getByLabel('2 unread').waitFor();
    // The newest activity is on top.
    expect(await bob.page.locator('.chat-name').allTextContents()).toEqual(['Design review', 'Alice']);
    if (screenshots) {
      fs.mkdirSync(screenshots, { recursive: true });
      await bob.page.screenshot({ path: path.join(screenshots, 'web-chat-list.png') });
    }

    // Bob opens the chat: the badge goes (his read marker moved), and Alice sees "Seen by Bob" under her message.
    await bobsEntry.click();
    await bob.page.getByRole('log').getByText('Hi Bob! Are you there?').waitFor();
    await bobsEntry.getByLabel('1 unread').waitFor({ state: 'detached' });
    await alice.page.getByText('Seen by Bob').waitFor();

    // Presence: each sees the other online (a green dot with its label in the chat's header).
    await alice.page.locator('.chat-header').getByRole('img', { name: 'online' }).waitFor({ timeout: 30_000 });
    await bob.page.locator('.chat-header').getByRole('img', { name: 'online' }).waitFor({ timeout: 30_000 });

    // Typing: Bob types, Alice sees it; he sends, it goes.
    await messageBox(bob.page).pressSequentially('Yes, here');
    await alice.page.getByTestId('typing').getByText('Bob is typing…').waitFor();
    await messageBox(bob.page).press('Enter');
    await alice.page.getByRole('log').getByText('Yes, here').waitFor();
    await alice.page.getByTestId('typing').getByText('Bob is typing…').waitFor({ state: 'detached' });

    // Alice edits her first message; Bob sees the new text marked as edited.
    await alice.page.getByRole('button', { name: 'Edit message' }).first().click();
    await alice.page
      .getByRole('textbox', { name: 'Edit message' })
      .fill('Hi Bob! Are you there? (edited to add: lunch?)');
    await alice.page.getByRole('textbox', { name: 'Edit message' }).press('Enter');
    await bob.page.getByRole('log').getByText('(edited to add: lunch?)').waitFor();
    await bob.page.getByRole('log').getByText('(edited)').waitFor();

    // A reload keeps the session (the refresh token in the tab's session storage) and the open chat (the address).
    await alice.page.reload();
    await alice.page.getByRole('heading', { name: 'Bob' }).waitFor();
    await alice.page.getByRole('log').getByText('Yes, here').waitFor();
    await alice.page.getByTestId('connection').getByText('Live').waitFor();

    // Some conversation before the failure.
    const said: string[] = [];
    const say = async (who: { page: Page }, text: string) => {
      await messageBox(who.page).fill(text);
      await messageBox(who.page).press('Enter');
      said.push(text);
      // Sent (the server has it) before the next one, so the order said is the order of the chat.
      await waitUntil('the send is confirmed', async () => (await who.page.locator('[data-pending]').count()) === 0);
    };
    for (let i = 0; i < 4; i++) await say(i % 2 ? bob : alice, `before ${i}`);
    await bob.page.getByRole('log').getByText('before 3').waitFor();
    if (screenshots) await alice.page.screenshot({ path: path.join(screenshots, 'web-conversation.png') });

    // Every socket on one gateway: kill the other one first (its pages, if any, move over), bring it back, then kill
    // the one both pages are on.
    const [first, second] =
      (await socketsOn('gatewayA')) >= (await socketsOn('gatewayB'))
        ? ['gatewayB', 'gatewayA']
        : ['gatewayA', 'gatewayB'];
    await stack.kill(first!);
    await waitUntil('both pages are on one gateway', async () => (await socketsOn(second!)) === 2, 30_000);
    await stack.start(first!, 'gateway', gatewayPorts[first!]);
    for (const p of [alice, bob]) await p.page.getByTestId('connection').getByText('Live').waitFor();

    await stack.kill(second!);
    for (const p of [alice, bob])
      await p.page.waitForFunction(
        (text) => (window as unknown as { bannerHistory: string[] }).bannerHistory.includes(text),
        RECONNECTING,
      );
    // The conversation goes on while they reconnect (sends go over HTTP to the surviving gateway).
    for (let i = 0; i < 6; i++) await say(i % 2 ? bob : alice, `during ${i}`);
    for (const p of [alice, bob]) await p.page.getByTestId('connection').getByText('Live').waitFor({ timeout: 30_000 });
    for (let i = 0; i < 4; i++) await say(i % 2 ? bob : alice, `after ${i}`);

    const expectedTail = said;
    for (const p of [alice, bob]) {
      await p.page.getByRole('log').getByText('after 3').waitFor();
      const shown = await shownMessages(p.page);
      const seqs = shown.map(([seq]) => seq);
      // Once each, in order: seqs strictly increasing, and the texts exactly what was said.
      expect(seqs).toEqual([...new Set(seqs)].sort((x, y) => x - y));
      expect(shown.map(([, text]) => text).slice(-expectedTail.length)).toEqual(expectedTail);
      const history = await bannerHistory(p.page);
      expect(history).toContain(RECONNECTING);
      expect(history[history.length - 1]).toBe('Live');
      expect(p.problems).toEqual([]);
    }

    // Log out, then back in: a wrong password is refused with a message, the right one brings the chats back.
    await bob.page.getByRole('button', { name: 'Log out' }).click();
    const form = bob.page.locator('form.auth-form');
    await form.getByLabel('Username').fill(bob.username);
    await form.getByLabel('Password').fill('not the password');
    await form.getByRole('button', { name: 'Log in' }).click();
    await form.getByRole('alert').waitFor();
    await form.getByLabel('Password').fill('correct horse battery');
    await form.getByRole('button', { name: 'Log in' }).click();
    await bob.page.locator('.chat-item', { hasText: 'Alice' }).getByText('after 3').waitFor();
    await bob.page.locator('.chat-item', { hasText: 'Design review' }).waitFor();
    expect(bob.problems).toEqual([]);
  }, 240_000);
});
