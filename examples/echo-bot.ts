// An echo bot: chatgraph POSTs each new message of the bot's chats to this server (a webhook), and the bot answers
// with "echo: <text>" through the API, with its API token. Run: BOT_TOKEN=cgt_… WEBHOOK_SECRET=whsec_… PORT=8080
// node echo-bot.js (docs/integrations.md shows how to get both).
import http from 'node:http';
import { Webhook } from 'standardwebhooks';

/** Starts the bot's webhook endpoint; resolves once it listens. */
export async function startEchoBot(o: { api: string; token: string; secret: string; port: number }) {
  const call = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const res = await fetch(o.api, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${o.token}` },
      body: JSON.stringify({ query, variables }),
    });
    const { data, errors } = (await res.json()) as { data: T; errors?: unknown[] };
    if (errors) throw new Error(JSON.stringify(errors));
    return data;
  };
  const me = (await call<{ me: { id: string } }>('{ me { id } }')).me.id;
  const webhook = new Webhook(o.secret);
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk));
    req.on('end', async () => {
      let event: { type: string; data: { chatId: string; message: { authorId: string; text: string } } };
      try {
        event = webhook.verify(body, req.headers as Record<string, string>) as typeof event; // signature and age
      } catch {
        return res.writeHead(401).end();
      }
      if (event.type !== 'message.created' || event.data.message.authorId === me) return res.writeHead(204).end();
      try {
        // A retry repeats the webhook-id: as the clientMessageId, it makes the echo happen once whatever comes twice.
        await call(
          'mutation($c: ID!, $t: String!, $m: String!) { sendMessage(chatId: $c, text: $t, clientMessageId: $m) { id } }',
          {
            c: event.data.chatId,
            t: `echo: ${event.data.message.text}`.slice(0, 4000),
            m: `echo-${req.headers['webhook-id']}`.slice(0, 64),
          },
        );
        res.writeHead(200).end();
      } catch {
        res.writeHead(500).end(); // chatgraph tries again later
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(o.port, '127.0.0.1', resolve));
  return server;
}

if (require.main === module) {
  const {
    CHATGRAPH_URL = 'http://127.0.0.1:4000/graphql',
    BOT_TOKEN = '',
    WEBHOOK_SECRET = '',
    PORT = '8080',
  } = process.env;
  void startEchoBot({ api: CHATGRAPH_URL, token: BOT_TOKEN, secret: WEBHOOK_SECRET, port: Number(PORT) });
}
