/**
 * The echo bot of docs/integrations.md (examples/echo-bot.ts), run against the real stack as an integrator would set
 * it up: a person makes a bot and its token, adds it to a chat; the bot registers its webhook and answers each message
 * once, a repeated delivery (same webhook-id) included, and refuses requests that are not signed with its secret.
 */
import fs from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { freePort, waitUntil, type TestUser } from '@chatgraph/testing';
import { startEchoBot } from '../../examples/echo-bot';
import { NotificationStack } from '../notifications/support/NotificationStack';
import { createBot, createToken, must, uniqueName } from './support/integrationCalls';

describe('the echo bot example', () => {
  let n: NotificationStack;
  let server: Server | undefined;

  beforeAll(async () => {
    n = await NotificationStack.start();
  }, 120_000);

  afterAll(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await n?.close();
  });

  it('answers every message once, and only signed requests', async () => {
    const alice: TestUser = await n.signUp('Alice');
    const bot = await createBot(n.gateway, alice, uniqueName('echo'));
    const { token } = await createToken(n.gateway, alice, ['MESSAGES_WRITE', 'WEBHOOKS_MANAGE'], bot.id);
    const chat = await n.createGroup(alice, [{ id: bot.id, token: '', username: bot.username }]);
    const port = await freePort();
    const created = await must<{ createWebhook: { secret: string } }>(
      n.gateway,
      token,
      'mutation($u: String!, $c: [ID!]!) { createWebhook(url: $u, events: [MESSAGE_CREATED], chatIds: $c) { secret } }',
      { u: `http://127.0.0.1:${port}/`, c: [chat] },
    );
    const secret = created.createWebhook.secret;
    server = await startEchoBot({ api: n.gateway, token, secret, port });

    const messages = async () =>
      (
        await n.call<{ chat: { messages: { nodes: Array<{ text: string; author: { id: string } }> } } }>(
          alice,
          'query($c: ID!) { chat(id: $c) { messages(last: 20) { nodes { text author { id } } } } }',
          { c: chat },
        )
      ).chat.messages.nodes.map((m) => `${m.author.id === bot.id ? 'bot' : 'alice'}: ${m.text}`);
    await n.send(alice, chat, 'hello');
    await waitUntil('the bot answers', async () => (await messages()).includes('bot: echo: hello'));

    // A delivery sent twice (a retry after a lost answer): signed, same webhook-id, one echo.
    const body = JSON.stringify({
      type: 'message.created',
      timestamp: new Date().toISOString(),
      data: { chatId: chat, seq: 99, actorId: alice.id, message: { id: '1', authorId: alice.id, text: 'hello' } },
    });
    const post = (headers: Record<string, string>) =>
      fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
    const first = (await messages()).filter((m) => m === 'bot: echo: hello').length;
    const now = new Date();
    const id = 'msg_replayed';
    const signature = new Webhook(secret).sign(id, now, body);
    const signed = {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': signature,
    };
    expect((await post(signed)).status).toBe(200);
    expect((await post(signed)).status).toBe(200);
    expect((await post({ ...signed, 'webhook-signature': 'v1,Zm9yZ2Vk' })).status).toBe(401);
    expect((await messages()).filter((m) => m === 'bot: echo: hello')).toHaveLength(first + 1);
  });
});

describe('docs/integrations.md', () => {
  it('shows examples/echo-bot.ts verbatim', () => {
    const root = path.resolve(__dirname, '../..');
    const doc = fs.readFileSync(path.join(root, 'docs/integrations.md'), 'utf8');
    const code = /<!-- example: examples\/echo-bot\.ts -->\n\n```ts\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(code).toBe(fs.readFileSync(path.join(root, 'examples/echo-bot.ts'), 'utf8'));
  });
});
